"""Study periods of persons: the facts behind 5.2 and the 16-22-year-old children a 5.4 parent is paid for."""
