"""AnSinh child protection service."""
