// AVX-512 instantiations of conv2_gemm_template.h (the conv2 GEMMs of the fused MultiLeNet)
// and their run-time dispatch: they run when ck_selected_kernels() is CK_KERNELS_AVX512;
// otherwise each entry point returns 0 and the caller uses BLAS.
#include "CKernels.h"

#pragma clang diagnostic ignored "-Wpsabi"

#define CK_CAT2(a, b) a##_##b
#define CK_CAT(a, b) CK_CAT2(a, b)

#if defined(__x86_64__)
#define CK_HAVE_AVX512 1
#define CK_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))
#define CK_T float
#define CK_ZLANES 16
#define CK_NAME(base) CK_CAT(ck_avx512_f32, base)
#include "conv2_gemm_template.h"
#undef CK_T
#undef CK_ZLANES
#undef CK_NAME
#define CK_T double
#define CK_ZLANES 8
#define CK_NAME(base) CK_CAT(ck_avx512_f64, base)
#include "conv2_gemm_template.h"
#undef CK_T
#undef CK_ZLANES
#undef CK_NAME
#undef CK_TARGET
#endif

#ifdef CK_HAVE_AVX512
#define CK_CONV2_PUBLIC(type, T) \
    int ck_conv2_gemm_nn20_##type(long n, long k, const T *a, long lda, const T *b, long ldb, T *c, long ldc, \
                                  T *scratch) { \
        if (ck_selected_kernels() < CK_KERNELS_AVX512 || n % (128 / (long)sizeof(T)) != 0) return 0; \
        ck_avx512_##type##_gemm_nn20(n, k, a, lda, b, ldb, c, ldc, scratch); \
        return 1; \
    } \
    int ck_conv2_gemm_nt20_##type(long m, long k, const T *a, long lda, const T *b, long ldb, int accumulate, T *c, \
                                  long ldc) { \
        if (ck_selected_kernels() < CK_KERNELS_AVX512 || k % (64 / (long)sizeof(T)) != 0) return 0; \
        ck_avx512_##type##_gemm_nt20(m, k, a, lda, b, ldb, accumulate, c, ldc); \
        return 1; \
    } \
    int ck_conv2_gemm_tn_##type(long m, long n, long k, const T *a, long lda, const T *b, long ldb, T *c, long ldc) { \
        if (ck_selected_kernels() < CK_KERNELS_AVX512 || m % 5 != 0 || n % (256 / (long)sizeof(T)) != 0) return 0; \
        ck_avx512_##type##_gemm_tn(m, n, k, a, lda, b, ldb, c, ldc); \
        return 1; \
    }
#else
#define CK_CONV2_PUBLIC(type, T) \
    int ck_conv2_gemm_nn20_##type(long n, long k, const T *a, long lda, const T *b, long ldb, T *c, long ldc, \
                                  T *scratch) { \
        return 0; \
    } \
    int ck_conv2_gemm_nt20_##type(long m, long k, const T *a, long lda, const T *b, long ldb, int accumulate, T *c, \
                                  long ldc) { \
        return 0; \
    } \
    int ck_conv2_gemm_tn_##type(long m, long n, long k, const T *a, long lda, const T *b, long ldb, T *c, long ldc) { \
        return 0; \
    }
#endif

CK_CONV2_PUBLIC(f32, float)
CK_CONV2_PUBLIC(f64, double)
