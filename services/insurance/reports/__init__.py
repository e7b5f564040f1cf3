"""The insurance figures of the year-end report: cards by group and by unit, with what they cost and who pays."""
