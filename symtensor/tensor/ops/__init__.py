"""Op families, one module each."""
