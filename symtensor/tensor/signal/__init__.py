"""``symtensor.tensor.signal``: pooling (``pool.pool_2d``)."""

from symtensor.tensor.signal import pool  # noqa: F401
