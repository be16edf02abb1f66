"""The analysis stage: lengths, the population surface, coverage and reach."""
