"""The compliance checker: every rule of RULES.md re-checked over the whole log, independently
of the command guards that refused commands (it reads events, never the aggregates' checks)."""
