// GEMM, row-major: C = alpha * op(A) @ op(B) + beta * C, op = identity or transpose.
//
// A block of 16 x 16 threads computes a 64 x 64 tile of C, each thread a 4 x 4
// sub-tile at rows ty + 16 i and columns tx + 16 j (neighbouring threads write
// neighbouring columns: coalesced stores).  K advances 16 at a time through shared
// memory; tiles are loaded so that neighbouring threads read neighbouring addresses of
// A and B whether or not they are transposed.  Edges are zero-filled: any M, N, K.
#include "common.cuh"

#define ST_GEMM_BM 64
#define ST_GEMM_BN 64
#define ST_GEMM_BK 16

template <class T>
__device__ __forceinline__ void st_gemm(const T* __restrict__ A, const T* __restrict__ B,
                                        T* __restrict__ C, int M, int N, int K, st_i64 lda,
                                        st_i64 ldb, st_i64 ldc, int trans_a, int trans_b,
                                        T alpha, T beta) {
    __shared__ T As[ST_GEMM_BK][ST_GEMM_BM + 1];  // As[k][m]; +1 avoids bank conflicts
    __shared__ T Bs[ST_GEMM_BK][ST_GEMM_BN];      // Bs[k][n]
    const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * 16 + tx;
    const int m0 = blockIdx.y * ST_GEMM_BM, n0 = blockIdx.x * ST_GEMM_BN;
    T acc[4][4];
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) acc[i][j] = T(0);

    for (int k0 = 0; k0 < K; k0 += ST_GEMM_BK) {
        for (int r = 0; r < 4; ++r) {  // 64 x 16 elements of each operand, 4 per thread
            const int e = tid + 256 * r;
            int m, k;
            if (trans_a) { m = e % ST_GEMM_BM; k = e / ST_GEMM_BM; }  // A stored (K, M)
            else         { m = e / ST_GEMM_BK; k = e % ST_GEMM_BK; }  // A stored (M, K)
            const int gm = m0 + m, gk = k0 + k;
            T a = T(0);
            if (gm < M && gk < K) a = trans_a ? A[(st_i64)gk * lda + gm] : A[(st_i64)gm * lda + gk];
            As[k][m] = a;
            int n;
            if (trans_b) { n = e / ST_GEMM_BK; k = e % ST_GEMM_BK; }  // B stored (N, K)
            else         { n = e % ST_GEMM_BN; k = e / ST_GEMM_BN; }  // B stored (K, N)
            const int gn = n0 + n;
            const int gk2 = k0 + k;
            T b = T(0);
            if (gn < N && gk2 < K) b = trans_b ? B[(st_i64)gn * ldb + gk2] : B[(st_i64)gk2 * ldb + gn];
            Bs[k][n] = b;
        }
        __syncthreads();
        for (int kk = 0; kk < ST_GEMM_BK; ++kk) {
            T a[4], b[4];
            for (int i = 0; i < 4; ++i) a[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < 4; ++j) b[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; ++i) {
        const int gm = m0 + ty + 16 * i;
        if (gm >= M) continue;
        for (int j = 0; j < 4; ++j) {
            const int gn = n0 + tx + 16 * j;
            if (gn >= N) continue;
            T* c = C + (st_i64)gm * ldc + gn;
            *c = beta == T(0) ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *c;  // C may be uninitialised when beta == 0
        }
    }
}

extern "C" __global__ void st_gemm_float32(const float* __restrict__ A, const float* __restrict__ B,
                                           float* __restrict__ C, int M, int N, int K,
                                           st_i64 lda, st_i64 ldb, st_i64 ldc, int trans_a,
                                           int trans_b, float alpha, float beta) {
    st_gemm<float>(A, B, C, M, N, K, lda, ldb, ldc, trans_a, trans_b, alpha, beta);
}
extern "C" __global__ void st_gemm_float64(const double* __restrict__ A,
                                           const double* __restrict__ B, double* __restrict__ C,
                                           int M, int N, int K, st_i64 lda, st_i64 ldb,
                                           st_i64 ldc, int trans_a, int trans_b, double alpha,
                                           double beta) {
    st_gemm<double>(A, B, C, M, N, K, lda, ldb, ldc, trans_a, trans_b, alpha, beta);
}
