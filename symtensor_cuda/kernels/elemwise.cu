// Elementwise kernels: the skeleton that symtensor_cuda/kernels/elemwise.py fills with a
// fused expression generated from the scalar-op table (symtensor/tensor/ops/scalar.py).
//
// A generated kernel has this shape (the one below is the table's "add" for float32):
// one thread per output element in a grid-stride loop; every operand (inputs, then the
// output) is read/written through its own strides, so broadcasting (stride 0),
// transposed and sliced views need no copies.  The Python side merges dimensions that
// are contiguous in every operand first, so the common case runs with ndim == 1.
#include "common.cuh"

extern "C" __global__ void st_elemwise_add_float32(const float* __restrict__ in0,
                                                   const float* __restrict__ in1,
                                                   float* __restrict__ out,
                                                   const st_i64* __restrict__ meta, st_i64 n) {
    ST_GRID_LOOP(i, n) {
        st_i64 off[3];
        st_strided_offsets<3>(i, meta, off);
        const float a0 = in0[off[0]];
        const float a1 = in1[off[1]];
        const float v0 = (a0 + a1);
        out[off[2]] = v0;
    }
}
