"""Documents as evidence (R-EVIDENCE): a content-addressed store, the kinds each step requires,
and the documents the bureau publishes, written from the record."""
