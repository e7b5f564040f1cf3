"""AnSinh registry service."""
