"""The year-end report, composed by the gateway from each service's own report endpoints."""
