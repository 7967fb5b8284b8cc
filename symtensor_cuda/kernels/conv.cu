// conv2d (Theano 1.0 semantics, see symtensor/tensor/ops/conv.py) and its two gradients,
// as direct kernels: x (N, C, H, W), w (K, C, kh, kw), y (N, K, Ho, Wo), all C-contiguous.
// Symmetric zero padding (ph, pw), stride (sh, sw), dilation (dh, dw); flip != 0 is a
// true convolution (the kernel is flipped in both spatial axes), 0 a correlation.
//
// * forward: one thread per output element; threads of a warp share (n, k) and read the
//   same weights (broadcast loads) and neighbouring input pixels;
// * grad input: one thread per input element gathers every (k, oh, ow) that read it, so
//   there are no atomics and the result is deterministic;
// * grad weights: one block per weight element reduces over (n, oh, ow) in shared memory.
#include "common.cuh"

struct st_conv_shape {
    int N, C, H, W, K, kh, kw, Ho, Wo, ph, pw, sh, sw, dh, dw, flip;
};

// Kernel tap (a, b) as an index into w: flipped or not.
__device__ __forceinline__ st_i64 st_tap(const st_conv_shape& s, int k, int c, int a, int b) {
    const int wa = s.flip ? s.kh - 1 - a : a, wb = s.flip ? s.kw - 1 - b : b;
    return (((st_i64)k * s.C + c) * s.kh + wa) * s.kw + wb;
}

template <class T>
__device__ __forceinline__ void st_conv2d_forward(const T* __restrict__ x, const T* __restrict__ w,
                                                  T* __restrict__ y, st_conv_shape s) {
    ST_GRID_LOOP(e, (st_i64)s.N * s.K * s.Ho * s.Wo) {
        const int ow = (int)(e % s.Wo), oh = (int)(e / s.Wo % s.Ho);
        const int k = (int)(e / ((st_i64)s.Wo * s.Ho) % s.K);
        const int n = (int)(e / ((st_i64)s.Wo * s.Ho * s.K));
        T acc = T(0);
        for (int c = 0; c < s.C; ++c) {
            const T* xp = x + ((st_i64)n * s.C + c) * s.H * s.W;
            for (int a = 0; a < s.kh; ++a) {
                const int ih = oh * s.sh - s.ph + a * s.dh;
                if (ih < 0 || ih >= s.H) continue;
                for (int b = 0; b < s.kw; ++b) {
                    const int iw = ow * s.sw - s.pw + b * s.dw;
                    if (iw < 0 || iw >= s.W) continue;
                    acc += xp[(st_i64)ih * s.W + iw] * w[st_tap(s, k, c, a, b)];
                }
            }
        }
        y[e] = acc;
    }
}

template <class T>
__device__ __forceinline__ void st_conv2d_grad_input(const T* __restrict__ w,
                                                     const T* __restrict__ gy,
                                                     T* __restrict__ gx, st_conv_shape s) {
    ST_GRID_LOOP(e, (st_i64)s.N * s.C * s.H * s.W) {
        const int iw = (int)(e % s.W), ih = (int)(e / s.W % s.H);
        const int c = (int)(e / ((st_i64)s.W * s.H) % s.C);
        const int n = (int)(e / ((st_i64)s.W * s.H * s.C));
        T acc = T(0);
        for (int a = 0; a < s.kh; ++a) {
            const int t = ih + s.ph - a * s.dh;  // = oh * sh for the output rows that read ih
            if (t < 0 || t % s.sh) continue;
            const int oh = t / s.sh;
            if (oh >= s.Ho) continue;
            for (int b = 0; b < s.kw; ++b) {
                const int u = iw + s.pw - b * s.dw;
                if (u < 0 || u % s.sw) continue;
                const int ow = u / s.sw;
                if (ow >= s.Wo) continue;
                for (int k = 0; k < s.K; ++k)
                    acc += gy[(((st_i64)n * s.K + k) * s.Ho + oh) * s.Wo + ow] *
                           w[st_tap(s, k, c, a, b)];
            }
        }
        gx[e] = acc;
    }
}

template <class T>
__device__ __forceinline__ void st_conv2d_grad_weights(const T* __restrict__ x,
                                                       const T* __restrict__ gy,
                                                       T* __restrict__ gw, st_conv_shape s) {
    __shared__ T scratch[ST_BLOCK];
    const st_i64 n_weights = (st_i64)s.K * s.C * s.kh * s.kw;
    const st_i64 n_terms = (st_i64)s.N * s.Ho * s.Wo;
    for (st_i64 wi = blockIdx.x; wi < n_weights; wi += gridDim.x) {  // uniform per block
        const int b = (int)(wi % s.kw), a = (int)(wi / s.kw % s.kh);
        const int c = (int)(wi / ((st_i64)s.kw * s.kh) % s.C);
        const int k = (int)(wi / ((st_i64)s.kw * s.kh * s.C));
        T acc = T(0);
        for (st_i64 j = threadIdx.x; j < n_terms; j += blockDim.x) {
            const int ow = (int)(j % s.Wo), oh = (int)(j / s.Wo % s.Ho);
            const int n = (int)(j / ((st_i64)s.Wo * s.Ho));
            const int ih = oh * s.sh - s.ph + a * s.dh, iw = ow * s.sw - s.pw + b * s.dw;
            if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
            acc += gy[(((st_i64)n * s.K + k) * s.Ho + oh) * s.Wo + ow] *
                   x[(((st_i64)n * s.C + c) * s.H + ih) * s.W + iw];
        }
        acc = st_block_reduce(acc, scratch, st_add_op());
        if (threadIdx.x == 0) gw[st_tap(s, k, c, a, b)] = acc;
    }
}

#define ST_CONV_SHAPE st_conv_shape{N, C, H, W, K, kh, kw, Ho, Wo, ph, pw, sh, sw, dh, dw, flip}

extern "C" __global__ void st_conv2d_forward_float32(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y, int N, int C, int H, int W, int K, int kh, int kw, int Ho, int Wo, int ph, int pw, int sh, int sw, int dh, int dw, int flip) { st_conv2d_forward(x, w, y, ST_CONV_SHAPE); }
extern "C" __global__ void st_conv2d_forward_float64(const double* __restrict__ x, const double* __restrict__ w, double* __restrict__ y, int N, int C, int H, int W, int K, int kh, int kw, int Ho, int Wo, int ph, int pw, int sh, int sw, int dh, int dw, int flip) { st_conv2d_forward(x, w, y, ST_CONV_SHAPE); }
extern "C" __global__ void st_conv2d_grad_input_float32(const float* __restrict__ w, const float* __restrict__ gy, float* __restrict__ gx, int N, int C, int H, int W, int K, int kh, int kw, int Ho, int Wo, int ph, int pw, int sh, int sw, int dh, int dw, int flip) { st_conv2d_grad_input(w, gy, gx, ST_CONV_SHAPE); }
extern "C" __global__ void st_conv2d_grad_input_float64(const double* __restrict__ w, const double* __restrict__ gy, double* __restrict__ gx, int N, int C, int H, int W, int K, int kh, int kw, int Ho, int Wo, int ph, int pw, int sh, int sw, int dh, int dw, int flip) { st_conv2d_grad_input(w, gy, gx, ST_CONV_SHAPE); }
extern "C" __global__ void st_conv2d_grad_weights_float32(const float* __restrict__ x, const float* __restrict__ gy, float* __restrict__ gw, int N, int C, int H, int W, int K, int kh, int kw, int Ho, int Wo, int ph, int pw, int sh, int sw, int dh, int dw, int flip) { st_conv2d_grad_weights(x, gy, gw, ST_CONV_SHAPE); }
extern "C" __global__ void st_conv2d_grad_weights_float64(const double* __restrict__ x, const double* __restrict__ gy, double* __restrict__ gw, int N, int C, int H, int W, int K, int kh, int kw, int Ho, int Wo, int ph, int pw, int sh, int sw, int dh, int dw, int flip) { st_conv2d_grad_weights(x, gy, gw, ST_CONV_SHAPE); }
