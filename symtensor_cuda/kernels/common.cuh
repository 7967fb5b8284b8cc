// Helpers shared by every kernel file: NumPy-compatible scalar functions for the
// generated elementwise kernels, float atomics built on atomicCAS, and the block size.
// Compiles under nvcc and under the CPU emulator's prelude (symtensor_cuda/emulator).
#pragma once

#define ST_BLOCK 256  // threads per block of every 1-d launch; a power of two

typedef long long st_i64;

// Grid-stride loop over [0, n).
#define ST_GRID_LOOP(i, n)                                                              \
    for (st_i64 i = (st_i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                \
         i += (st_i64)blockDim.x * gridDim.x)

// ---------------------------------------------------------------- NumPy scalar semantics
template <class T>
__device__ __forceinline__ bool st_isnan(T x) { return x != x; }

// np.maximum / np.minimum propagate NaN (fmaxf does not).
template <class T>
__device__ __forceinline__ T st_max(T a, T b) {
    return st_isnan(a) ? a : (st_isnan(b) ? b : (a < b ? b : a));
}
template <class T>
__device__ __forceinline__ T st_min(T a, T b) {
    return st_isnan(a) ? a : (st_isnan(b) ? b : (b < a ? b : a));
}
template <class T>
__device__ __forceinline__ T st_abs(T x) { return x < T(0) ? T(-x) : x; }
template <>
__device__ __forceinline__ bool st_abs<bool>(bool x) { return x; }
template <class T>
__device__ __forceinline__ T st_sign(T x) {
    return st_isnan(x) ? x : T((T(0) < x) - (x < T(0)));
}

// np.floor_divide and np.mod: the result of mod has the sign of the divisor.
__device__ __forceinline__ float st_floordiv(float a, float b) { return floorf(a / b); }
__device__ __forceinline__ double st_floordiv(double a, double b) { return floor(a / b); }
template <class T>
__device__ __forceinline__ T st_floordiv(T a, T b) {
    if (b == T(0)) return T(0);  // NumPy returns 0 (with a warning) for integers
    T q = a / b;
    return (a % b != T(0) && ((a < T(0)) != (b < T(0)))) ? T(q - 1) : q;
}
__device__ __forceinline__ float st_mod(float a, float b) {
    float r = fmodf(a, b);
    return (r != 0.f && ((r < 0.f) != (b < 0.f))) ? r + b : r;
}
__device__ __forceinline__ double st_mod(double a, double b) {
    double r = fmod(a, b);
    return (r != 0.0 && ((r < 0.0) != (b < 0.0))) ? r + b : r;
}
template <class T>
__device__ __forceinline__ T st_mod(T a, T b) {
    if (b == T(0)) return T(0);
    T r = a % b;
    return (r != T(0) && ((r < T(0)) != (b < T(0)))) ? T(r + b) : r;
}

__device__ __forceinline__ float st_pow(float a, float b) { return powf(a, b); }
__device__ __forceinline__ double st_pow(double a, double b) { return pow(a, b); }
template <class T>
__device__ __forceinline__ T st_pow(T a, T b) {  // integers: square and multiply
    if (b < T(0)) return T(0);
    T result = T(1);
    while (b) {
        if (b & T(1)) result *= a;
        a *= a;
        b >>= 1;
    }
    return result;
}

// np.logaddexp: log(exp(a) + exp(b)) without overflow.
__device__ __forceinline__ float st_logaddexp(float a, float b) {
    if (a == b) return a + 0.6931471805599453f;
    float hi = a > b ? a : b, d = a > b ? b - a : a - b;
    return hi + log1pf(expf(d));
}
__device__ __forceinline__ double st_logaddexp(double a, double b) {
    if (a == b) return a + 0.6931471805599453;
    double hi = a > b ? a : b, d = a > b ? b - a : a - b;
    return hi + log1p(exp(d));
}

// ---------------------------------------------------------------- float atomics
__device__ __forceinline__ float st_atomic_max(float* address, float val) {
    int* addr = (int*)address;
    int old = *addr, assumed;
    do {
        assumed = old;
        if (__int_as_float(assumed) >= val) break;
        old = atomicCAS(addr, assumed, __float_as_int(val));
    } while (assumed != old);
    return __int_as_float(old);
}

__device__ __forceinline__ double st_atomic_add(double* address, double val) {
    unsigned long long* addr = (unsigned long long*)address;
    unsigned long long old = *addr, assumed;
    do {
        assumed = old;
        old = atomicCAS(addr, assumed,
                        (unsigned long long)__double_as_longlong(
                            __longlong_as_double((long long)assumed) + val));
    } while (assumed != old);
    return __longlong_as_double((long long)old);
}
__device__ __forceinline__ float st_atomic_add(float* address, float val) {
    return atomicAdd(address, val);
}

// ---------------------------------------------------------------- block reductions
// Tree reduction of one value per thread over a block of ST_BLOCK threads; every thread
// of the block must call it (it holds __syncthreads).  Returns the total to all threads.
template <class T, class Op>
__device__ __forceinline__ T st_block_reduce(T value, T* scratch, Op op) {
    const unsigned t = threadIdx.x;
    scratch[t] = value;
    __syncthreads();
    for (unsigned s = ST_BLOCK / 2; s > 0; s >>= 1) {
        if (t < s) scratch[t] = op(scratch[t], scratch[t + s]);
        __syncthreads();
    }
    T total = scratch[0];
    __syncthreads();  // scratch is reused by the caller's next reduction
    return total;
}

struct st_add_op {
    template <class T>
    __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
struct st_mul_op {
    template <class T>
    __device__ __forceinline__ T operator()(T a, T b) const { return a * b; }
};
struct st_max_op {
    template <class T>
    __device__ __forceinline__ T operator()(T a, T b) const { return st_max(a, b); }
};
struct st_min_op {
    template <class T>
    __device__ __forceinline__ T operator()(T a, T b) const { return st_min(a, b); }
};

// ---------------------------------------------------------------- strided indexing
// meta = [ndim, shape[ndim], strides of operand 0 [ndim], strides of operand 1, ...],
// strides in elements (0 on broadcast axes).  Fills off[k] with the element offset of
// flat (C-order) index i in operand k.
template <int N>
__device__ __forceinline__ void st_strided_offsets(st_i64 i, const st_i64* __restrict__ meta,
                                                   st_i64* off) {
    const int ndim = (int)meta[0];
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
        const st_i64 n = meta[1 + d];
        const st_i64 idx = i % n;
        i /= n;
        for (int k = 0; k < N; ++k) off[k] += idx * meta[1 + ndim * (k + 1) + d];
    }
}

// exp / log by argument type, for templated kernels.
__device__ __forceinline__ float st_exp(float x) { return expf(x); }
__device__ __forceinline__ double st_exp(double x) { return exp(x); }
__device__ __forceinline__ float st_log(float x) { return logf(x); }
__device__ __forceinline__ double st_log(double x) { return log(x); }
