"""Bulk imports of persons, households and applications from CSV or XLSX files (issue 5, item 8)."""
