"""Checking helpers shared by the op tests: tolerances, compile cache, inferred shapes.

The logic lives in :mod:`symtensor.testing` (public, for ops written outside the
package); this module keeps the suite's older call signatures.
"""

from __future__ import annotations

from symtensor.testing import TOL, assert_close, check_output_shapes  # noqa: F401


def check_infer_shape(out, inputs, values):
    """``out.owner.op.infer_shape`` on the symbolic input shapes evaluates to the shape
    of the value ``out`` takes when ``inputs`` hold ``values``."""
    check_output_shapes([out], inputs, values)
