"""Backups of a whole store (events, seals, checkpoints, idempotency keys, read models) with the
databases' own tools, and their restore into a fresh database, proven by a manifest."""
