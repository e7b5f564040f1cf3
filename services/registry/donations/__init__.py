"""Donations to facilities and the facilities' yearly report."""
