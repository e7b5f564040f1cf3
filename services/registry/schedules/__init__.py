"""Entitlement schedules sent to the payments service (``registry.beneficiary.entitlements_changed.v1``)."""
