// PReLU and its gradient (see prelu.py: prelu_reference, prelu_grad_reference).
// x is viewed as (outer, C, inner), C-contiguous; element (o, c, i) has slope alpha[c].
// A 0-d alpha is the case C = 1 (prelu_kernel_view computes the view).
// float32 is the main case; float64 instantiates the same templates.
//
// Compiles under nvcc and under symtensor_cuda's CPU emulator (g++ with a prelude).
#include "common.cuh"

// y = x where x > 0, else alpha[c] * x.  One thread per element (grid-stride loop).
template <class T>
__device__ __forceinline__ void prelu_forward(const T* __restrict__ x,
                                              const T* __restrict__ alpha,
                                              T* __restrict__ out, st_i64 n, int C,
                                              st_i64 inner) {
    ST_GRID_LOOP(e, n) {
        const T v = x[e];
        out[e] = v > T(0) ? v : alpha[(e / inner) % C] * v;
    }
}

// One block per channel c (launch with C blocks of ST_BLOCK threads): every thread
// writes gx for a strided share of the channel's outer * inner elements and sums
// x * gz where x <= 0; a shared-memory tree then reduces the block's partial sums
// into galpha[c].  No atomics: the result does not depend on scheduling.
template <class T>
__device__ __forceinline__ void prelu_grad(const T* __restrict__ x,
                                           const T* __restrict__ alpha,
                                           const T* __restrict__ gz, T* __restrict__ gx,
                                           T* __restrict__ galpha, st_i64 outer, int C,
                                           st_i64 inner) {
    __shared__ T partial[ST_BLOCK];
    const int c = blockIdx.x;
    const T a = alpha[c];
    T acc = T(0);
    for (st_i64 k = threadIdx.x; k < outer * inner; k += blockDim.x) {
        const st_i64 e = (k / inner * C + c) * inner + k % inner;
        const T v = x[e], g = gz[e];
        if (v > T(0)) {
            gx[e] = g;
        } else {
            gx[e] = a * g;
            acc += v * g;
        }
    }
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int s = ST_BLOCK / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) galpha[c] = partial[0];
}

extern "C" __global__ void prelu_forward_float32(const float* __restrict__ x,
                                                 const float* __restrict__ alpha,
                                                 float* __restrict__ out, st_i64 n, int C,
                                                 st_i64 inner) {
    prelu_forward(x, alpha, out, n, C, inner);
}

extern "C" __global__ void prelu_forward_float64(const double* __restrict__ x,
                                                 const double* __restrict__ alpha,
                                                 double* __restrict__ out, st_i64 n, int C,
                                                 st_i64 inner) {
    prelu_forward(x, alpha, out, n, C, inner);
}

extern "C" __global__ void prelu_grad_float32(const float* __restrict__ x,
                                              const float* __restrict__ alpha,
                                              const float* __restrict__ gz,
                                              float* __restrict__ gx,
                                              float* __restrict__ galpha, st_i64 outer, int C,
                                              st_i64 inner) {
    prelu_grad(x, alpha, gz, gx, galpha, outer, C, inner);
}

extern "C" __global__ void prelu_grad_float64(const double* __restrict__ x,
                                              const double* __restrict__ alpha,
                                              const double* __restrict__ gz,
                                              double* __restrict__ gx,
                                              double* __restrict__ galpha, st_i64 outer, int C,
                                              st_i64 inner) {
    prelu_grad(x, alpha, gz, gx, galpha, outer, C, inner);
}
