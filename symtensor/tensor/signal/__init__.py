"""``symtensor.tensor.signal``: pooling (``pool.pool_2d``)."""
