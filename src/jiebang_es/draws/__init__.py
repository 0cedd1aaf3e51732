"""Verifiable expert draws (R-DRAW): who may sit, and a draw anyone can recompute offline."""
