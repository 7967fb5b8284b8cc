"""Backends: how each node of a compiled graph runs (Python perform, Numba, CUDA)."""
