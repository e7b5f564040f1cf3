"""AnSinh gateway: the single entry point for partner systems."""
