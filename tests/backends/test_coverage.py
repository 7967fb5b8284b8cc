"""Every op has a kernel on every backend, or is listed as a known perform fallback."""

from symtensor.backends.numba import PERFORM_FALLBACK
from symtensor.backends.numba.dispatch import has_kernel
from symtensor.testing import all_op_classes as _all_op_classes
from symtensor.testing import check_kernel_coverage


def test_every_op_has_a_numba_kernel_or_is_allowed_to_fall_back():
    missing = [c.__name__ for c in check_kernel_coverage()]
    assert not missing, (f"ops without a numba kernel and not in PERFORM_FALLBACK: {missing}; "
                         "register a kernel in symtensor/backends/numba/ or list them")


def test_allow_list_has_no_stale_entries():
    names = {c.__name__ for c in _all_op_classes()}
    stale = sorted(PERFORM_FALLBACK - names)
    assert not stale, f"PERFORM_FALLBACK names ops that do not exist: {stale}"
    covered = sorted(n for n in PERFORM_FALLBACK
                     if any(c.__name__ == n and has_kernel(c) for c in _all_op_classes()))
    assert not covered, f"ops listed as fallbacks although they have a kernel: {covered}"
