"""Residential care: social-assistance facilities and the persons living in them (Decree 20/2021 Art 25)."""
