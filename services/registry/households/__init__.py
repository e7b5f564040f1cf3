"""Households: members with their relationship to the head, poverty status history, moves between communes."""
