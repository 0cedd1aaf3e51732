"""The read side: read models derived only from the event log, the runner that keeps them
up to date exactly once, rebuilds and digests, typed queries, and the reports.

Modules: ``models/`` (one per read model) and ``compliance/`` (the rule checker, a read model
too); ``projector`` (batches, exactly once), ``runner`` (follow the log), ``rebuild`` and
``checksum``; ``readstore`` and ``queries`` (for the API); ``reports/``; ``cli``.
"""
