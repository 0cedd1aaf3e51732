"""The HTTP delivery of jiebang_es (built in its own issue)."""
