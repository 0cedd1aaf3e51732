"""The read side: read models derived only from the event log (built in its own issue)."""
