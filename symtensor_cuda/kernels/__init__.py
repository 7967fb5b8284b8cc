"""Kernel launchers, one module per family beside its ``.cu`` source."""
