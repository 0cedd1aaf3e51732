"""Reports built from the read models: compliance and portfolio, in several formats."""
