// pool_2d (Theano 1.0 semantics, see symtensor/tensor/ops/pool.py) and its gradients.
// Every leading axis of the input is an independent plane: x (P, H, W), out (P, Ho, Wo).
// Window j along an axis covers padded rows [j*s, min(j*s + ws, size + 2*pad)); its real
// rows are [max(j*s - pad, 0), min(j*s + ws, size + 2*pad) - pad), the same rule as the
// NumPy reference's pool_windows.  Modes: 0 max, 1 sum, 2 average_inc_pad,
// 3 average_exc_pad.  The launcher computes Ho, Wo with the family's shape helper.
//
// Gradients are gathers (one thread per input pixel visits the windows that contain
// it), so no atomics are needed and results are deterministic.
#include "common.cuh"

struct st_pool_shape {
    int H, W, Ho, Wo, wh, ww, sh, sw, ph, pw, mode;
};

struct st_window {
    int start, end, extent;  // real rows [start, end); extent in the padded image
};

__device__ __forceinline__ st_window st_pool_window(int j, int size, int ws, int stride, int pad) {
    const int lo = j * stride;
    const int hi = min(lo + ws, size + 2 * pad);
    return st_window{max(lo - pad, 0), min(hi - pad, size), hi - lo};
}

template <class T>
__device__ __forceinline__ T st_pool_divisor(const st_pool_shape& s, const st_window& r,
                                             const st_window& c) {
    if (s.mode == 2) return T(r.extent * c.extent);
    if (s.mode == 3) return T((r.end - r.start) * (c.end - c.start));
    return T(1);
}

// The windows (along one axis) that contain real row r: i in [*lo, *hi].
__device__ __forceinline__ void st_windows_of(int r, int ws, int stride, int pad, int n_out,
                                              int* lo, int* hi) {
    const int rp = r + pad;
    *lo = rp < ws ? 0 : (rp - ws) / stride + 1;
    *hi = min(rp / stride, n_out - 1);
}

template <class T>
__device__ __forceinline__ void st_pool_forward(const T* __restrict__ x, T* __restrict__ out,
                                                st_i64 planes, st_pool_shape s) {
    ST_GRID_LOOP(e, planes * s.Ho * s.Wo) {
        const int j = (int)(e % s.Wo), i = (int)(e / s.Wo % s.Ho);
        const T* xp = x + e / ((st_i64)s.Wo * s.Ho) * s.H * s.W;
        const st_window r = st_pool_window(i, s.H, s.wh, s.sh, s.ph);
        const st_window c = st_pool_window(j, s.W, s.ww, s.sw, s.pw);
        T acc;
        if (s.mode == 0) {
            acc = r.start < r.end && c.start < c.end ? xp[r.start * s.W + c.start] : T(-INFINITY);
            for (int y = r.start; y < r.end; ++y)
                for (int z = c.start; z < c.end; ++z) acc = st_max(acc, xp[y * s.W + z]);
        } else {
            acc = T(0);
            for (int y = r.start; y < r.end; ++y)
                for (int z = c.start; z < c.end; ++z) acc += xp[y * s.W + z];
            acc /= st_pool_divisor<T>(s, r, c);
        }
        out[e] = acc;
    }
}

// gx[p, y, z] = sum over windows containing (y, z) with x == that window's max of gz.
template <class T>
__device__ __forceinline__ void st_max_pool_grad(const T* __restrict__ x,
                                                 const T* __restrict__ maxout,
                                                 const T* __restrict__ gz, T* __restrict__ gx,
                                                 st_i64 planes, st_pool_shape s) {
    ST_GRID_LOOP(e, planes * s.H * s.W) {
        const int z = (int)(e % s.W), y = (int)(e / s.W % s.H);
        const st_i64 plane = e / ((st_i64)s.W * s.H) * s.Ho * s.Wo;
        const T v = x[e];
        int i0, i1, j0, j1;
        st_windows_of(y, s.wh, s.sh, s.ph, s.Ho, &i0, &i1);
        st_windows_of(z, s.ww, s.sw, s.pw, s.Wo, &j0, &j1);
        T acc = T(0);
        for (int i = i0; i <= i1; ++i)
            for (int j = j0; j <= j1; ++j)
                if (v == maxout[plane + i * s.Wo + j]) acc += gz[plane + i * s.Wo + j];
        gx[e] = acc;
    }
}

// Sum / average pooling: gx[p, y, z] = sum over windows containing (y, z) of gz / divisor.
template <class T>
__device__ __forceinline__ void st_average_pool_grad(const T* __restrict__ gz, T* __restrict__ gx,
                                                     st_i64 planes, st_pool_shape s) {
    ST_GRID_LOOP(e, planes * s.H * s.W) {
        const int z = (int)(e % s.W), y = (int)(e / s.W % s.H);
        const st_i64 plane = e / ((st_i64)s.W * s.H) * s.Ho * s.Wo;
        int i0, i1, j0, j1;
        st_windows_of(y, s.wh, s.sh, s.ph, s.Ho, &i0, &i1);
        st_windows_of(z, s.ww, s.sw, s.pw, s.Wo, &j0, &j1);
        T acc = T(0);
        for (int i = i0; i <= i1; ++i) {
            const st_window r = st_pool_window(i, s.H, s.wh, s.sh, s.ph);
            for (int j = j0; j <= j1; ++j) {
                const st_window c = st_pool_window(j, s.W, s.ww, s.sw, s.pw);
                acc += gz[plane + i * s.Wo + j] / st_pool_divisor<T>(s, r, c);
            }
        }
        gx[e] = acc;
    }
}

// ggz[p, i, j] = sum of ggx over the window's maxima (the gradient of max_pool_grad in gz).
template <class T>
__device__ __forceinline__ void st_max_pool_grad_grad(const T* __restrict__ x,
                                                      const T* __restrict__ maxout,
                                                      const T* __restrict__ ggx,
                                                      T* __restrict__ ggz, st_i64 planes,
                                                      st_pool_shape s) {
    ST_GRID_LOOP(e, planes * s.Ho * s.Wo) {
        const int j = (int)(e % s.Wo), i = (int)(e / s.Wo % s.Ho);
        const st_i64 base = e / ((st_i64)s.Wo * s.Ho) * s.H * s.W;
        const st_window r = st_pool_window(i, s.H, s.wh, s.sh, s.ph);
        const st_window c = st_pool_window(j, s.W, s.ww, s.sw, s.pw);
        const T m = maxout[e];
        T acc = T(0);
        for (int y = r.start; y < r.end; ++y)
            for (int z = c.start; z < c.end; ++z)
                if (x[base + y * s.W + z] == m) acc += ggx[base + y * s.W + z];
        ggz[e] = acc;
    }
}

#define ST_POOL_SHAPE st_pool_shape{H, W, Ho, Wo, wh, ww, sh, sw, ph, pw, mode}

extern "C" __global__ void st_pool_forward_float32(const float* __restrict__ x, float* __restrict__ out, st_i64 planes, int H, int W, int Ho, int Wo, int wh, int ww, int sh, int sw, int ph, int pw, int mode) { st_pool_forward(x, out, planes, ST_POOL_SHAPE); }
extern "C" __global__ void st_pool_forward_float64(const double* __restrict__ x, double* __restrict__ out, st_i64 planes, int H, int W, int Ho, int Wo, int wh, int ww, int sh, int sw, int ph, int pw, int mode) { st_pool_forward(x, out, planes, ST_POOL_SHAPE); }
extern "C" __global__ void st_max_pool_grad_float32(const float* __restrict__ x, const float* __restrict__ maxout, const float* __restrict__ gz, float* __restrict__ gx, st_i64 planes, int H, int W, int Ho, int Wo, int wh, int ww, int sh, int sw, int ph, int pw, int mode) { st_max_pool_grad(x, maxout, gz, gx, planes, ST_POOL_SHAPE); }
extern "C" __global__ void st_max_pool_grad_float64(const double* __restrict__ x, const double* __restrict__ maxout, const double* __restrict__ gz, double* __restrict__ gx, st_i64 planes, int H, int W, int Ho, int Wo, int wh, int ww, int sh, int sw, int ph, int pw, int mode) { st_max_pool_grad(x, maxout, gz, gx, planes, ST_POOL_SHAPE); }
extern "C" __global__ void st_average_pool_grad_float32(const float* __restrict__ gz, float* __restrict__ gx, st_i64 planes, int H, int W, int Ho, int Wo, int wh, int ww, int sh, int sw, int ph, int pw, int mode) { st_average_pool_grad(gz, gx, planes, ST_POOL_SHAPE); }
extern "C" __global__ void st_average_pool_grad_float64(const double* __restrict__ gz, double* __restrict__ gx, st_i64 planes, int H, int W, int Ho, int Wo, int wh, int ww, int sh, int sw, int ph, int pw, int mode) { st_average_pool_grad(gz, gx, planes, ST_POOL_SHAPE); }
extern "C" __global__ void st_max_pool_grad_grad_float32(const float* __restrict__ x, const float* __restrict__ maxout, const float* __restrict__ ggx, float* __restrict__ ggz, st_i64 planes, int H, int W, int Ho, int Wo, int wh, int ww, int sh, int sw, int ph, int pw, int mode) { st_max_pool_grad_grad(x, maxout, ggx, ggz, planes, ST_POOL_SHAPE); }
extern "C" __global__ void st_max_pool_grad_grad_float64(const double* __restrict__ x, const double* __restrict__ maxout, const double* __restrict__ ggx, double* __restrict__ ggz, st_i64 planes, int H, int W, int Ho, int Wo, int wh, int ww, int sh, int sw, int ph, int pw, int mode) { st_max_pool_grad_grad(x, maxout, ggx, ggz, planes, ST_POOL_SHAPE); }
