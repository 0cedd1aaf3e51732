"""The audit trail for supervisors: history queries, the seal chain's verifier, signed
checkpoints and exportable bundles (issue 5; DESIGN.md §7)."""
