"""AnSinh insurance service."""
