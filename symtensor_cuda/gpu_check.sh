#!/usr/bin/env bash
# The GPU check in one go, for a GPU machine with no internet and no PyCUDA:
#   1. installs PyCUDA (and its dependencies) from a folder of carried wheels / sdists,
#   2. runs the device half of the GPU backend's tests:  pytest -m cuda tests/cuda
#   3. runs the CPU-vs-GPU benchmark:                    python benchmarks/gpu_bench.py
# Logs go to $OUT (when set) or ./gpu_check_logs; the exit status is non-zero when a step
# failed, and every step runs even when an earlier one failed (except after a failed
# install).
#
# Usage:  bash symtensor_cuda/gpu_check.sh [WHEEL_DIR]      (default: .whl)
#
# Fetch the folder on a machine with internet (the same Python version and platform as
# the GPU machine; the sdist builds there against its CUDA toolkit):
#   pip download -d .whl pycuda setuptools wheel
# which saves pycuda-*.tar.gz with pytools, platformdirs, typing_extensions, mako,
# markupsafe and siphash24.  Add `pytest hypothesis` (and numpy numba scipy) to that
# command when the GPU machine's Python lacks them.  To avoid compiling PyCUDA on the GPU
# machine, build a wheel where a CUDA toolkit is installed and carry it instead:
#   pip wheel --no-deps --no-build-isolation -w .whl .whl/pycuda-*.tar.gz
# PyCUDA compiles the kernels at run time with nvcc, so the GPU machine needs nvcc
# (a CUDA toolkit) either way; the script stops early, saying so, when it is missing.
set -uo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
WHEELS="$(cd "${1:-$REPO/.whl}" 2>/dev/null && pwd)" || { echo "gpu_check: wheel folder ${1:-.whl} not found" >&2; exit 2; }
LOGS="${OUT:-$REPO/gpu_check_logs}"
mkdir -p "$LOGS"
cd "$REPO"
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python3}"
status=0

step() {  # step NAME CMD...: run into $LOGS/NAME.log, show its tail, remember a failure
    local name="$1"; shift
    echo "== $name: $*" | tee "$LOGS/$name.log"
    local t0=$SECONDS
    "$@" >> "$LOGS/$name.log" 2>&1
    local rc=$?
    tail -n "${TAIL:-40}" "$LOGS/$name.log" | sed 1d
    echo "== $name: exit $rc after $((SECONDS - t0)) s" | tee -a "$LOGS/$name.log"
    [ "$rc" -eq 0 ] || status=1
    return "$rc"
}

# ---- 0. the machine
{
    echo "date: $(date -u)"; uname -a; "$PY" --version
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true
} > "$LOGS/machine.log" 2>&1
cat "$LOGS/machine.log"
if ! command -v nvcc >/dev/null 2>&1; then
    for d in /usr/local/cuda/bin /usr/local/cuda-*/bin /opt/cuda/bin; do
        [ -x "$d/nvcc" ] && export PATH="$d:$PATH" && break
    done
fi
if ! command -v nvcc >/dev/null 2>&1; then
    echo "gpu_check: nvcc not found: PyCUDA needs a CUDA toolkit to build and to compile kernels" | tee -a "$LOGS/machine.log" >&2
    exit 3
fi
# PyCUDA builds against $CUDA_ROOT/include/cuda.h (nvcc may be a wrapper outside the toolkit)
for root in "${CUDA_ROOT:-}" "$(dirname "$(dirname "$(command -v nvcc)")")" /usr/local/cuda /usr/local/cuda-*; do
    if [ -n "$root" ] && [ -f "$root/include/cuda.h" ]; then export CUDA_ROOT="$root"; break; fi
done
echo "CUDA_ROOT=${CUDA_ROOT:-not found (no include/cuda.h)}" | tee -a "$LOGS/machine.log"
nvcc --version | tail -2 | tee -a "$LOGS/machine.log"

# ---- 1. install PyCUDA offline
PIP=("$PY" -m pip install --no-index --find-links "$WHEELS" --no-build-isolation)
if ! "$PY" -c "import pycuda.driver" >/dev/null 2>&1; then
    TAIL=15 step install "${PIP[@]}" pycuda || { echo "gpu_check: PyCUDA did not install; see $LOGS/install.log" >&2; exit 1; }
fi
for mod in pytest hypothesis; do
    "$PY" -c "import $mod" >/dev/null 2>&1 || step "install_$mod" "${PIP[@]}" "$mod"
done
step device "$PY" -c "import symtensor_cuda as sc; sc.require_cuda(); import pycuda.driver as d; d.init(); print(d.Device(0).name(), d.Device(0).compute_capability())" || exit 1

# ---- 2. the device tests, 3. the benchmark
TAIL=60 step tests "$PY" -m pytest -q -m cuda tests/cuda -rs --junitxml="$LOGS/tests.xml"
TAIL=30 step bench "$PY" benchmarks/gpu_bench.py --batch 500 --repeat 10
echo "gpu_check: logs in $LOGS; status $status"
exit "$status"
