"""The write-side domain: aggregates, their events, the rules and the values."""
