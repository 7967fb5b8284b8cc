// Reductions over one block of contiguous axes: the input is viewed as (outer, red,
// inner), C-contiguous, and reduced over `red`.
//
// * rows (inner == 1): one block per row (grid-stride over rows), ST_BLOCK threads
//   stride over the row and combine in shared memory;
// * cols (inner > 1): one thread per output (outer, inner) element walks `red`; the
//   threads of a warp read neighbouring columns, so loads are coalesced.
// Argmax/argmin run on rows (the launcher moves the reduced axes last) and return the
// first index of the extreme value, NaN counting as the extreme, as NumPy does.
#include "common.cuh"

template <class Tin, class Tacc, class Op>
__device__ __forceinline__ void st_reduce_rows(const Tin* __restrict__ x, Tacc* __restrict__ out,
                                               st_i64 outer, st_i64 red, Tacc init, Op op) {
    __shared__ Tacc scratch[ST_BLOCK];
    for (st_i64 row = blockIdx.x; row < outer; row += gridDim.x) {  // uniform per block
        Tacc acc = init;
        for (st_i64 j = threadIdx.x; j < red; j += blockDim.x) acc = op(acc, (Tacc)x[row * red + j]);
        acc = st_block_reduce(acc, scratch, op);
        if (threadIdx.x == 0) out[row] = acc;
    }
}

template <class Tin, class Tacc, class Op>
__device__ __forceinline__ void st_reduce_cols(const Tin* __restrict__ x, Tacc* __restrict__ out,
                                               st_i64 outer, st_i64 red, st_i64 inner,
                                               Tacc init, Op op) {
    ST_GRID_LOOP(e, outer * inner) {
        const st_i64 o = e / inner, c = e % inner;
        const Tin* p = x + o * red * inner + c;
        Tacc acc = init;
        for (st_i64 j = 0; j < red; ++j) acc = op(acc, (Tacc)p[j * inner]);
        out[e] = acc;
    }
}

// ---- float32
extern "C" __global__ void st_sum_rows_float32(const float* __restrict__ x, float* __restrict__ out, st_i64 outer, st_i64 red) { st_reduce_rows<float, float>(x, out, outer, red, 0.0f, st_add_op()); }
extern "C" __global__ void st_prod_rows_float32(const float* __restrict__ x, float* __restrict__ out, st_i64 outer, st_i64 red) { st_reduce_rows<float, float>(x, out, outer, red, 1.0f, st_mul_op()); }
extern "C" __global__ void st_max_rows_float32(const float* __restrict__ x, float* __restrict__ out, st_i64 outer, st_i64 red) { st_reduce_rows<float, float>(x, out, outer, red, -INFINITY, st_max_op()); }
extern "C" __global__ void st_min_rows_float32(const float* __restrict__ x, float* __restrict__ out, st_i64 outer, st_i64 red) { st_reduce_rows<float, float>(x, out, outer, red, INFINITY, st_min_op()); }
extern "C" __global__ void st_sum_cols_float32(const float* __restrict__ x, float* __restrict__ out, st_i64 outer, st_i64 red, st_i64 inner) { st_reduce_cols<float, float>(x, out, outer, red, inner, 0.0f, st_add_op()); }
extern "C" __global__ void st_prod_cols_float32(const float* __restrict__ x, float* __restrict__ out, st_i64 outer, st_i64 red, st_i64 inner) { st_reduce_cols<float, float>(x, out, outer, red, inner, 1.0f, st_mul_op()); }
extern "C" __global__ void st_max_cols_float32(const float* __restrict__ x, float* __restrict__ out, st_i64 outer, st_i64 red, st_i64 inner) { st_reduce_cols<float, float>(x, out, outer, red, inner, -INFINITY, st_max_op()); }
extern "C" __global__ void st_min_cols_float32(const float* __restrict__ x, float* __restrict__ out, st_i64 outer, st_i64 red, st_i64 inner) { st_reduce_cols<float, float>(x, out, outer, red, inner, INFINITY, st_min_op()); }

// ---- float64
extern "C" __global__ void st_sum_rows_float64(const double* __restrict__ x, double* __restrict__ out, st_i64 outer, st_i64 red) { st_reduce_rows<double, double>(x, out, outer, red, 0.0, st_add_op()); }
extern "C" __global__ void st_prod_rows_float64(const double* __restrict__ x, double* __restrict__ out, st_i64 outer, st_i64 red) { st_reduce_rows<double, double>(x, out, outer, red, 1.0, st_mul_op()); }
extern "C" __global__ void st_max_rows_float64(const double* __restrict__ x, double* __restrict__ out, st_i64 outer, st_i64 red) { st_reduce_rows<double, double>(x, out, outer, red, -(double)INFINITY, st_max_op()); }
extern "C" __global__ void st_min_rows_float64(const double* __restrict__ x, double* __restrict__ out, st_i64 outer, st_i64 red) { st_reduce_rows<double, double>(x, out, outer, red, (double)INFINITY, st_min_op()); }
extern "C" __global__ void st_sum_cols_float64(const double* __restrict__ x, double* __restrict__ out, st_i64 outer, st_i64 red, st_i64 inner) { st_reduce_cols<double, double>(x, out, outer, red, inner, 0.0, st_add_op()); }
extern "C" __global__ void st_prod_cols_float64(const double* __restrict__ x, double* __restrict__ out, st_i64 outer, st_i64 red, st_i64 inner) { st_reduce_cols<double, double>(x, out, outer, red, inner, 1.0, st_mul_op()); }
extern "C" __global__ void st_max_cols_float64(const double* __restrict__ x, double* __restrict__ out, st_i64 outer, st_i64 red, st_i64 inner) { st_reduce_cols<double, double>(x, out, outer, red, inner, -(double)INFINITY, st_max_op()); }
extern "C" __global__ void st_min_cols_float64(const double* __restrict__ x, double* __restrict__ out, st_i64 outer, st_i64 red, st_i64 inner) { st_reduce_cols<double, double>(x, out, outer, red, inner, (double)INFINITY, st_min_op()); }

// ---- integer and boolean sums accumulate in int64 (NumPy's rule for sum)
extern "C" __global__ void st_sum_rows_bool(const bool* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red) { st_reduce_rows<bool, long long>(x, out, outer, red, 0LL, st_add_op()); }
extern "C" __global__ void st_sum_rows_int8(const signed char* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red) { st_reduce_rows<signed char, long long>(x, out, outer, red, 0LL, st_add_op()); }
extern "C" __global__ void st_sum_rows_int32(const int* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red) { st_reduce_rows<int, long long>(x, out, outer, red, 0LL, st_add_op()); }
extern "C" __global__ void st_sum_rows_int64(const long long* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red) { st_reduce_rows<long long, long long>(x, out, outer, red, 0LL, st_add_op()); }
extern "C" __global__ void st_sum_cols_bool(const bool* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red, st_i64 inner) { st_reduce_cols<bool, long long>(x, out, outer, red, inner, 0LL, st_add_op()); }
extern "C" __global__ void st_sum_cols_int8(const signed char* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red, st_i64 inner) { st_reduce_cols<signed char, long long>(x, out, outer, red, inner, 0LL, st_add_op()); }
extern "C" __global__ void st_sum_cols_int32(const int* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red, st_i64 inner) { st_reduce_cols<int, long long>(x, out, outer, red, inner, 0LL, st_add_op()); }
extern "C" __global__ void st_sum_cols_int64(const long long* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red, st_i64 inner) { st_reduce_cols<long long, long long>(x, out, outer, red, inner, 0LL, st_add_op()); }

// ---------------------------------------------------------------- argmax / argmin rows
template <class T, bool IS_MAX>
__device__ __forceinline__ bool st_arg_better(T v, st_i64 j, T best, st_i64 best_j) {
    const bool v_nan = v != v, b_nan = best != best;
    if (v_nan || b_nan) return v_nan && b_nan ? j < best_j : v_nan;
    if (v == best) return j < best_j;
    return IS_MAX ? v > best : v < best;
}

template <class T, bool IS_MAX>
__device__ __forceinline__ void st_arg_rows(const T* __restrict__ x, long long* __restrict__ out,
                                            st_i64 outer, st_i64 red) {
    __shared__ T vals[ST_BLOCK];
    __shared__ st_i64 idxs[ST_BLOCK];
    const unsigned t = threadIdx.x;
    for (st_i64 row = blockIdx.x; row < outer; row += gridDim.x) {
        T best = x[row * red];  // red >= 1: the launcher rejects empty rows
        st_i64 best_j = 0;
        for (st_i64 j = t; j < red; j += blockDim.x)
            if (st_arg_better<T, IS_MAX>(x[row * red + j], j, best, best_j)) {
                best = x[row * red + j];
                best_j = j;
            }
        vals[t] = best;
        idxs[t] = best_j;
        __syncthreads();
        for (unsigned s = ST_BLOCK / 2; s > 0; s >>= 1) {
            if (t < s && st_arg_better<T, IS_MAX>(vals[t + s], idxs[t + s], vals[t], idxs[t])) {
                vals[t] = vals[t + s];
                idxs[t] = idxs[t + s];
            }
            __syncthreads();
        }
        if (t == 0) out[row] = idxs[0];
        __syncthreads();
    }
}

extern "C" __global__ void st_argmax_rows_float32(const float* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red) { st_arg_rows<float, true>(x, out, outer, red); }
extern "C" __global__ void st_argmin_rows_float32(const float* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red) { st_arg_rows<float, false>(x, out, outer, red); }
extern "C" __global__ void st_argmax_rows_float64(const double* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red) { st_arg_rows<double, true>(x, out, outer, red); }
extern "C" __global__ void st_argmin_rows_float64(const double* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red) { st_arg_rows<double, false>(x, out, outer, red); }
extern "C" __global__ void st_argmax_rows_int64(const long long* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red) { st_arg_rows<long long, true>(x, out, outer, red); }
extern "C" __global__ void st_argmax_rows_int32(const int* __restrict__ x, long long* __restrict__ out, st_i64 outer, st_i64 red) { st_arg_rows<int, true>(x, out, outer, red); }
