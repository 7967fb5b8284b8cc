// Indexing kernels: strided copies (slices, transposes, broadcasts made contiguous) and
// advanced indexing with one or two integer index vectors on the leading axes, as in
// the tutorial's log(p)[arange(n), y], with its scatter-add / set gradient.
//
// Copies and gathers move bytes, so they exist per element size (1, 2, 4, 8 bytes) and
// serve every dtype; the scatter-add needs arithmetic and exists for float32/float64.
#include "common.cuh"

// ---------------------------------------------------------------- strided copy
// dst (any strides) = src (any strides); meta as in st_strided_offsets with 2 operands.
template <class T>
__device__ __forceinline__ void st_copy_strided(const T* __restrict__ src, T* __restrict__ dst,
                                                const st_i64* __restrict__ meta, st_i64 n) {
    ST_GRID_LOOP(i, n) {
        st_i64 off[2];
        st_strided_offsets<2>(i, meta, off);
        dst[off[1]] = src[off[0]];
    }
}

extern "C" __global__ void st_copy_strided_1(const unsigned char* __restrict__ src,
                                             unsigned char* __restrict__ dst,
                                             const st_i64* __restrict__ meta, st_i64 n) {
    st_copy_strided(src, dst, meta, n);
}
extern "C" __global__ void st_copy_strided_2(const unsigned short* __restrict__ src,
                                             unsigned short* __restrict__ dst,
                                             const st_i64* __restrict__ meta, st_i64 n) {
    st_copy_strided(src, dst, meta, n);
}
extern "C" __global__ void st_copy_strided_4(const unsigned int* __restrict__ src,
                                             unsigned int* __restrict__ dst,
                                             const st_i64* __restrict__ meta, st_i64 n) {
    st_copy_strided(src, dst, meta, n);
}
extern "C" __global__ void st_copy_strided_8(const unsigned long long* __restrict__ src,
                                             unsigned long long* __restrict__ dst,
                                             const st_i64* __restrict__ meta, st_i64 n) {
    st_copy_strided(src, dst, meta, n);
}

// ---------------------------------------------------------------- advanced indexing
// x is C-contiguous with leading axes (dim0[, dim1]) and `inner` trailing elements;
// element (i, r) of the result is x[idx0[i], idx1[i], r] (idx1 may be NULL: one index).
// Negative indices wrap as in NumPy; an index out of range sets *err = 1 (the launcher
// raises IndexError) and leaves that element alone.
__device__ __forceinline__ bool st_index_offset(st_i64 i, const st_i64* __restrict__ idx0,
                                                const st_i64* __restrict__ idx1, st_i64 dim0,
                                                st_i64 dim1, st_i64 inner, st_i64* offset) {
    st_i64 j0 = idx0[i];
    j0 += j0 < 0 ? dim0 : 0;
    if (j0 < 0 || j0 >= dim0) return false;
    st_i64 off = j0;
    if (idx1) {
        st_i64 j1 = idx1[i];
        j1 += j1 < 0 ? dim1 : 0;
        if (j1 < 0 || j1 >= dim1) return false;
        off = off * dim1 + j1;
    }
    *offset = off * inner;
    return true;
}

template <class T>
__device__ __forceinline__ void st_take(const T* __restrict__ x, const st_i64* __restrict__ idx0,
                                        const st_i64* __restrict__ idx1, T* __restrict__ out,
                                        st_i64 n, st_i64 inner, st_i64 dim0, st_i64 dim1,
                                        int* __restrict__ err) {
    ST_GRID_LOOP(e, n * inner) {
        const st_i64 i = e / inner, r = e % inner;
        st_i64 base;
        if (st_index_offset(i, idx0, idx1, dim0, dim1, inner, &base))
            out[e] = x[base + r];
        else
            *err = 1;
    }
}

extern "C" __global__ void st_take_1(const unsigned char* __restrict__ x,
                                     const st_i64* __restrict__ idx0,
                                     const st_i64* __restrict__ idx1,
                                     unsigned char* __restrict__ out, st_i64 n, st_i64 inner,
                                     st_i64 dim0, st_i64 dim1, int* __restrict__ err) {
    st_take(x, idx0, idx1, out, n, inner, dim0, dim1, err);
}
extern "C" __global__ void st_take_2(const unsigned short* __restrict__ x,
                                     const st_i64* __restrict__ idx0,
                                     const st_i64* __restrict__ idx1,
                                     unsigned short* __restrict__ out, st_i64 n, st_i64 inner,
                                     st_i64 dim0, st_i64 dim1, int* __restrict__ err) {
    st_take(x, idx0, idx1, out, n, inner, dim0, dim1, err);
}
extern "C" __global__ void st_take_4(const unsigned int* __restrict__ x,
                                     const st_i64* __restrict__ idx0,
                                     const st_i64* __restrict__ idx1,
                                     unsigned int* __restrict__ out, st_i64 n, st_i64 inner,
                                     st_i64 dim0, st_i64 dim1, int* __restrict__ err) {
    st_take(x, idx0, idx1, out, n, inner, dim0, dim1, err);
}
extern "C" __global__ void st_take_8(const unsigned long long* __restrict__ x,
                                     const st_i64* __restrict__ idx0,
                                     const st_i64* __restrict__ idx1,
                                     unsigned long long* __restrict__ out, st_i64 n,
                                     st_i64 inner, st_i64 dim0, st_i64 dim1,
                                     int* __restrict__ err) {
    st_take(x, idx0, idx1, out, n, inner, dim0, dim1, err);
}

// out[idx0[i], idx1[i], r] += y[i, r] (repeated indices accumulate, as np.add.at), or
// = y[i, r] when set != 0 (a repeated index keeps one of the values).
template <class T>
__device__ __forceinline__ void st_take_inc(T* __restrict__ out, const st_i64* __restrict__ idx0,
                                            const st_i64* __restrict__ idx1,
                                            const T* __restrict__ y, st_i64 n, st_i64 inner,
                                            st_i64 dim0, st_i64 dim1, int set,
                                            int* __restrict__ err) {
    ST_GRID_LOOP(e, n * inner) {
        const st_i64 i = e / inner, r = e % inner;
        st_i64 base;
        if (!st_index_offset(i, idx0, idx1, dim0, dim1, inner, &base))
            *err = 1;
        else if (set)
            out[base + r] = y[e];
        else
            st_atomic_add(out + base + r, y[e]);
    }
}

extern "C" __global__ void st_take_inc_float32(float* __restrict__ out,
                                               const st_i64* __restrict__ idx0,
                                               const st_i64* __restrict__ idx1,
                                               const float* __restrict__ y, st_i64 n,
                                               st_i64 inner, st_i64 dim0, st_i64 dim1, int set,
                                               int* __restrict__ err) {
    st_take_inc(out, idx0, idx1, y, n, inner, dim0, dim1, set, err);
}
extern "C" __global__ void st_take_inc_float64(double* __restrict__ out,
                                               const st_i64* __restrict__ idx0,
                                               const st_i64* __restrict__ idx1,
                                               const double* __restrict__ y, st_i64 n,
                                               st_i64 inner, st_i64 dim0, st_i64 dim1, int set,
                                               int* __restrict__ err) {
    st_take_inc(out, idx0, idx1, y, n, inner, dim0, dim1, set, err);
}

// ---------------------------------------------------------------- arange (index vectors)
extern "C" __global__ void st_arange_int64(st_i64 start, st_i64 step, long long* __restrict__ out,
                                           st_i64 n) {
    ST_GRID_LOOP(i, n) out[i] = start + i * step;
}
