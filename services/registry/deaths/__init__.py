"""Deaths of persons: recorded once, ending any allowance from the month after the month of death."""
