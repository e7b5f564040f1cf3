"""AnSinh payments service."""
