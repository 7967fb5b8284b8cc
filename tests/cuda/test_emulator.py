"""The CPU emulator itself: shared memory, barriers, atomics, indices, both thread modes."""

import numpy as np
import pytest

from symtensor_cuda.emulator import compile_module
from symtensor_cuda.source import parse_signatures

SOURCE = r'''
#include "common.cuh"

// Each block stores its index in shared memory; after the barrier every thread reads
// its neighbour's slot, so the result is right only if shared memory is per block and
// __syncthreads really waits for the whole block.
extern "C" __global__ void neighbours(int* __restrict__ out) {
    __shared__ int slots[64];
    __shared__ int block_id;
    const int t = threadIdx.x;
    if (t == 0) block_id = blockIdx.x;
    slots[t] = 100 * blockIdx.x + t;
    __syncthreads();
    out[blockIdx.x * blockDim.x + t] = slots[(t + 1) % blockDim.x] + 10000 * block_id;
}

extern "C" __global__ void leaves_early(int* out) {
    if (threadIdx.x == 0) return;
    __syncthreads();
    out[threadIdx.x] = 1;
}

extern "C" __global__ void counters(float* fsum, int* isum, float* fmax, const float* x, int n) {
    ST_GRID_LOOP(i, n) {
        atomicAdd(fsum, x[i]);
        atomicAdd(isum, 1);
        st_atomic_max(fmax, x[i]);
    }
}

extern "C" __global__ void indices(int* out) {
    const int b = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
    const int t = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
    const int nt = blockDim.x * blockDim.y * blockDim.z;
    out[(b * nt + t) * 2] = 1000 * b + t;
    out[(b * nt + t) * 2 + 1] = blockIdx.x + 10 * blockIdx.y + 100 * blockIdx.z
                                + 1000 * (threadIdx.x + 10 * threadIdx.y + 100 * threadIdx.z);
}
'''


def _expected_neighbours(blocks, threads):
    b, t = np.divmod(np.arange(blocks * threads), threads)
    return 100 * b + (t + 1) % threads + 10000 * b


@pytest.mark.parametrize("mode", ["fibers", "threads"])
def test_shared_memory_is_per_block_and_barriers_wait(monkeypatch, mode):
    monkeypatch.setenv("SYMTENSOR_EMU_MODE", mode)
    mod = compile_module(SOURCE)
    out = np.zeros(3 * 64, np.int32)
    mod.launch("neighbours", (3,), (64,), out)
    np.testing.assert_array_equal(out, _expected_neighbours(3, 64))


@pytest.mark.parametrize("mode", ["fibers", "threads"])
def test_a_thread_leaving_before_a_barrier_is_an_error(monkeypatch, mode):
    monkeypatch.setenv("SYMTENSOR_EMU_MODE", mode)
    mod = compile_module(SOURCE)
    with pytest.raises(RuntimeError, match="different barriers"):
        mod.launch("leaves_early", (2,), (8,), np.zeros(8, np.int32))


def test_atomics():
    mod = compile_module(SOURCE)
    x = np.linspace(-1, 2, 1000).astype(np.float32)
    fsum, isum, fmax = np.zeros(1, np.float32), np.zeros(1, np.int32), np.full(1, -np.inf,
                                                                              np.float32)
    mod.launch("counters", (3,), (128,), fsum, isum, fmax, x, len(x))
    assert isum[0] == 1000 and fmax[0] == np.float32(2)
    np.testing.assert_allclose(fsum[0], x.sum(), rtol=1e-4)


def test_three_dimensional_grid_and_block_indices():
    mod = compile_module(SOURCE)
    grid, block = (2, 3, 2), (4, 2, 3)
    n = np.prod(grid) * np.prod(block)
    out = np.zeros(2 * n, np.int32)
    mod.launch("indices", grid, block, out)
    pairs = out.reshape(-1, 2)
    b, t = np.divmod(np.arange(n), np.prod(block))
    np.testing.assert_array_equal(pairs[:, 0], 1000 * b + t)
    bx, by, bz = b % 2, b // 2 % 3, b // 6
    tx, ty, tz = t % 4, t // 4 % 2, t // 8
    np.testing.assert_array_equal(pairs[:, 1], bx + 10 * by + 100 * bz
                                  + 1000 * (tx + 10 * ty + 100 * tz))


def test_argument_checks_and_signature_errors():
    mod = compile_module(SOURCE)
    with pytest.raises(TypeError, match="expected 1 arguments"):
        mod.launch("neighbours", 1, 64)
    with pytest.raises(KeyError, match="no kernel"):
        mod.launch("missing", 1, 1)
    with pytest.raises(ValueError, match="unsupported parameter type"):
        parse_signatures('extern "C" __global__ void k(short n) {}')
    with pytest.raises(RuntimeError, match="g\\+\\+ failed"):
        compile_module('extern "C" __global__ void broken(int* out) { out[0] = undefined; }')
