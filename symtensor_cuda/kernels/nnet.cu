// Row-wise softmax, log-softmax and the softmax gradient, and the negative log-likelihood of softmax with
// integer labels (the tutorial's -mean(log(softmax(x))[arange(n), y]) without forming
// log(p)), with its gradient.  x is (rows, cols), C-contiguous.
//
// One block of ST_BLOCK threads per row (grid-stride over rows, uniform per block):
// max and sum are block reductions in shared memory, and softmax is shifted by the row
// max so that exp never overflows.
#include "common.cuh"

template <class T>
__device__ __forceinline__ void st_row_max_sum(const T* __restrict__ xr, st_i64 cols, T* scratch,
                                               T* row_max, T* row_sum) {
    T m = T(-INFINITY);
    for (st_i64 j = threadIdx.x; j < cols; j += blockDim.x) m = st_max(m, xr[j]);
    m = st_block_reduce(m, scratch, st_max_op());
    T s = T(0);
    for (st_i64 j = threadIdx.x; j < cols; j += blockDim.x) s += st_exp(xr[j] - m);
    *row_sum = st_block_reduce(s, scratch, st_add_op());
    *row_max = m;
}

template <class T>
__device__ __forceinline__ void st_softmax_rows(const T* __restrict__ x, T* __restrict__ sm,
                                                st_i64 rows, st_i64 cols) {
    __shared__ T scratch[ST_BLOCK];
    for (st_i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        T m, s;
        st_row_max_sum(xr, cols, scratch, &m, &s);
        const T inv = T(1) / s;
        for (st_i64 j = threadIdx.x; j < cols; j += blockDim.x)
            sm[row * cols + j] = st_exp(xr[j] - m) * inv;
    }
}

// log(softmax(x)) = x - m - log(sum(exp(x - m))), never log(0)
template <class T>
__device__ __forceinline__ void st_log_softmax_rows(const T* __restrict__ x, T* __restrict__ out,
                                                    st_i64 rows, st_i64 cols) {
    __shared__ T scratch[ST_BLOCK];
    for (st_i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        T m, s;
        st_row_max_sum(xr, cols, scratch, &m, &s);
        const T shift = m + st_log(s);
        for (st_i64 j = threadIdx.x; j < cols; j += blockDim.x) out[row * cols + j] = xr[j] - shift;
    }
}

// dx = (dy - sum(dy * sm, axis=1)) * sm
template <class T>
__device__ __forceinline__ void st_softmax_grad_rows(const T* __restrict__ dy,
                                                     const T* __restrict__ sm,
                                                     T* __restrict__ dx, st_i64 rows,
                                                     st_i64 cols) {
    __shared__ T scratch[ST_BLOCK];
    for (st_i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const st_i64 base = row * cols;
        T s = T(0);
        for (st_i64 j = threadIdx.x; j < cols; j += blockDim.x) s += dy[base + j] * sm[base + j];
        s = st_block_reduce(s, scratch, st_add_op());
        for (st_i64 j = threadIdx.x; j < cols; j += blockDim.x)
            dx[base + j] = (dy[base + j] - s) * sm[base + j];
    }
}

// sm = softmax(x); nll[i] = -log(sm[i, y[i]]) = log(sum(exp(x - m))) - (x[i, y[i]] - m).
// A label outside [0, cols) sets *err = 1 and gives nll = NaN.
template <class T>
__device__ __forceinline__ void st_softmax_nll_rows(const T* __restrict__ x,
                                                    const st_i64* __restrict__ y,
                                                    T* __restrict__ sm, T* __restrict__ nll,
                                                    st_i64 rows, st_i64 cols,
                                                    int* __restrict__ err) {
    __shared__ T scratch[ST_BLOCK];
    for (st_i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        T m, s;
        st_row_max_sum(xr, cols, scratch, &m, &s);
        const T inv = T(1) / s;
        for (st_i64 j = threadIdx.x; j < cols; j += blockDim.x)
            sm[row * cols + j] = st_exp(xr[j] - m) * inv;
        if (threadIdx.x == 0) {
            const st_i64 label = y[row];
            if (label < 0 || label >= cols) {
                *err = 1;
                nll[row] = T(NAN);
            } else {
                nll[row] = st_log(s) - (xr[label] - m);
            }
        }
    }
}

// dx[i, j] = gnll[i] * (sm[i, j] - (j == y[i]))
template <class T>
__device__ __forceinline__ void st_softmax_nll_grad(const T* __restrict__ gnll,
                                                    const T* __restrict__ sm,
                                                    const st_i64* __restrict__ y,
                                                    T* __restrict__ dx, st_i64 rows,
                                                    st_i64 cols) {
    ST_GRID_LOOP(e, rows * cols) {
        const st_i64 row = e / cols, j = e % cols;
        dx[e] = gnll[row] * (sm[e] - (j == y[row] ? T(1) : T(0)));
    }
}

extern "C" __global__ void st_softmax_rows_float32(const float* __restrict__ x, float* __restrict__ sm, st_i64 rows, st_i64 cols) { st_softmax_rows(x, sm, rows, cols); }
extern "C" __global__ void st_softmax_rows_float64(const double* __restrict__ x, double* __restrict__ sm, st_i64 rows, st_i64 cols) { st_softmax_rows(x, sm, rows, cols); }
extern "C" __global__ void st_log_softmax_rows_float32(const float* __restrict__ x, float* __restrict__ out, st_i64 rows, st_i64 cols) { st_log_softmax_rows(x, out, rows, cols); }
extern "C" __global__ void st_log_softmax_rows_float64(const double* __restrict__ x, double* __restrict__ out, st_i64 rows, st_i64 cols) { st_log_softmax_rows(x, out, rows, cols); }
extern "C" __global__ void st_softmax_grad_rows_float32(const float* __restrict__ dy, const float* __restrict__ sm, float* __restrict__ dx, st_i64 rows, st_i64 cols) { st_softmax_grad_rows(dy, sm, dx, rows, cols); }
extern "C" __global__ void st_softmax_grad_rows_float64(const double* __restrict__ dy, const double* __restrict__ sm, double* __restrict__ dx, st_i64 rows, st_i64 cols) { st_softmax_grad_rows(dy, sm, dx, rows, cols); }
extern "C" __global__ void st_softmax_nll_rows_float32(const float* __restrict__ x, const st_i64* __restrict__ y, float* __restrict__ sm, float* __restrict__ nll, st_i64 rows, st_i64 cols, int* __restrict__ err) { st_softmax_nll_rows(x, y, sm, nll, rows, cols, err); }
extern "C" __global__ void st_softmax_nll_rows_float64(const double* __restrict__ x, const st_i64* __restrict__ y, double* __restrict__ sm, double* __restrict__ nll, st_i64 rows, st_i64 cols, int* __restrict__ err) { st_softmax_nll_rows(x, y, sm, nll, rows, cols, err); }
extern "C" __global__ void st_softmax_nll_grad_float32(const float* __restrict__ gnll, const float* __restrict__ sm, const st_i64* __restrict__ y, float* __restrict__ dx, st_i64 rows, st_i64 cols) { st_softmax_nll_grad(gnll, sm, y, dx, rows, cols); }
extern "C" __global__ void st_softmax_nll_grad_float64(const double* __restrict__ gnll, const double* __restrict__ sm, const st_i64* __restrict__ y, double* __restrict__ dx, st_i64 rows, st_i64 cols) { st_softmax_nll_grad(gnll, sm, y, dx, rows, cols); }
