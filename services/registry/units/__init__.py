"""Administrative units (provinces, districts, communes) with their dates, and the 2025 old→new mapping."""
