// CKernels: cpuid feature detection and the vectorised loops of ParetoKit's fused MultiLeNet
// kernel. Every vectorised function exists in a portable variant and in variants compiled
// with __attribute__((target(...))); ck_select_kernels() picks one at run time from cpuid.
// No compiler flags are needed (SwiftPM library targets must not use unsafeFlags).
#ifndef PARETOKIT_CKERNELS_H
#define PARETOKIT_CKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What cpuid (leaves 0, 1, 7.0, 7.1) and xgetbv report. All flags are 0 on non-x86 hosts.
typedef struct {
    /// The 12-character vendor string of cpuid leaf 0 ("GenuineIntel", "AuthenticAMD"),
    /// NUL-terminated; empty on non-x86 hosts.
    char vendor[13];
    /// Display family and model (family + extended family; model + extended model << 4 for
    /// families 6 and 15), as Linux's /proc/cpuinfo shows them.
    uint32_t family, model, stepping;
    /// Instruction-set flags from cpuid (leaf 1 ecx/edx, leaf 7 ebx/ecx, leaf 7.1 eax).
    uint8_t sse2, sse3, ssse3, sse41, sse42, avx, fma, f16c, avx2;
    uint8_t avx512f, avx512dq, avx512cd, avx512bw, avx512vl, avx512bf16;
    /// The operating system saves the AVX state (OSXSAVE and XCR0 bits 1–2) and the AVX-512
    /// state (XCR0 bits 5–7), read with xgetbv.
    uint8_t osSavesAVX, osSavesAVX512;
} ck_cpu_features;

/// Fills `features` from cpuid and xgetbv (zeros on non-x86 hosts).
void ck_query_cpu_features(ck_cpu_features *features);

/// The process's environment block (`environ`, POSIX), NULL-terminated.
char *const *ck_environment(void);

/// Writes `text` and a newline to standard error (unbuffered, one write).
void ck_write_error_line(const char *text);

/// The kernel variants ck_select_kernels() can choose.
enum {
    /// Baseline instructions (SSE2 on x86-64), two roundings per multiply-add.
    CK_KERNELS_PORTABLE = 0,
    /// AVX2 with fused multiply-adds (one rounding).
    CK_KERNELS_AVX2_FMA = 1,
    /// AVX-512 (F, DQ, BW, VL) with fused multiply-adds: conv2's GEMMs run in CKernels' own
    /// 512-bit kernels instead of BLAS; the other kernels are those of CK_KERNELS_AVX2_FMA.
    CK_KERNELS_AVX512 = 2
};

/// Selects the best variant the CPU and OS support, but at most `maximum` (a CK_KERNELS_
/// constant); returns the choice. Without a call, the best variant is chosen on first use.
int ck_select_kernels(int maximum);

/// The best variant the CPU and OS support (cpuid, xgetbv).
int ck_best_kernels(void);

/// The variant in use (chosen on first use if ck_select_kernels() was not called).
int ck_selected_kernels(void);

// The conv1 kernels of the fused MultiLeNet (fused_lenet_template.h documents the shapes).
// f32 takes float, f64 double; each dispatches to the selected variant.

/// conv1 -> bias -> 2x2 max-pool -> ReLU of `batch` images [N, 28, 28] (+ 8 zero scalars),
/// weight [10, 25], bias [10], into a1 [10, N*144], with the per-channel active lists (units,
/// fields: capacity N*144 per channel, channel c at c*N*144; counts[10]).
void ck_conv1_forward_f32(const float *images, long batch, const float *weight, const float *bias, float *a1,
                          int32_t *units, int32_t *fields, int64_t *counts);
void ck_conv1_forward_f64(const double *images, long batch, const double *weight, const double *bias, double *a1,
                          int32_t *units, int32_t *fields, int64_t *counts);

/// conv1's tangent at one channel's `count` active units into its zeroed [N, 12, 12] plane.
void ck_conv1_tangent_f32(long count, const int32_t *units, const int32_t *fields, const float *images,
                          const float *weight, float bias, float *output);
void ck_conv1_tangent_f64(long count, const int32_t *units, const int32_t *fields, const double *images,
                          const double *weight, double bias, double *output);

/// One channel's conv1 weight [25] and bias [1] adjoints from its pooled adjoint plane.
void ck_conv1_parameter_adjoint_f32(long count, const int32_t *units, const int32_t *fields, const float *images,
                                    const float *adjoint, float *weightAdjoint, float *biasAdjoint);
void ck_conv1_parameter_adjoint_f64(long count, const int32_t *units, const int32_t *fields, const double *images,
                                    const double *adjoint, double *weightAdjoint, double *biasAdjoint);

/// conv2's bias -> 2x2 max-pool -> ReLU of y [20, N, 8, 8] into a and argmax at
/// c*16 + n*320 + r*4 + s (the flattened [N, 320] layout).
void ck_pool2_forward_f32(const float *y, long batch, const float *bias, float *a, uint8_t *argmax);
void ck_pool2_forward_f64(const double *y, long batch, const double *bias, double *a, uint8_t *argmax);

/// The pooling tangent aDot = [a > 0] (yDot + biasTangent) at the argmax.
void ck_pool2_tangent_f32(const float *yDot, long batch, const float *biasTangent, const float *a,
                          const uint8_t *argmax, float *aDot);
void ck_pool2_tangent_f64(const double *yDot, long batch, const double *biasTangent, const double *a,
                          const uint8_t *argmax, double *aDot);

/// The pooling adjoint into yBar [20, N, 8, 8] (every element written) and biasAdjoint [20].
void ck_pool2_backward_f32(const float *aBar, long batch, const float *a, const uint8_t *argmax, float *yBar,
                           float *biasAdjoint);
void ck_pool2_backward_f64(const double *aBar, long batch, const double *a, const uint8_t *argmax, double *yBar,
                           double *biasAdjoint);

// The conv2 GEMMs of the fused MultiLeNet (conv2_gemm_template.h), row-major, in 512-bit
// vectors. Each returns 1 when it computed C, and 0 (C untouched) when the selected variant is
// not CK_KERNELS_AVX512 or a shape is outside what it handles; the caller then uses BLAS.

/// C[20 × n] = A[20 × k] · B[k × n] (conv2's forward and tangent forward products); n a
/// multiple of 32 floats or 16 doubles; `scratch` holds 20·k scalars (A repacked k-major; the
/// caller's, so that no call allocates).
int ck_conv2_gemm_nn20_f32(long n, long k, const float *a, long lda, const float *b, long ldb, float *c, long ldc,
                           float *scratch);
int ck_conv2_gemm_nn20_f64(long n, long k, const double *a, long lda, const double *b, long ldb, double *c, long ldc,
                           double *scratch);

/// C[20 × m] = A[20 × k] · B[m × k]ᵀ, or C += … when `accumulate` is nonzero (conv2's weight
/// adjoint); k a multiple of 16 floats or 8 doubles.
int ck_conv2_gemm_nt20_f32(long m, long k, const float *a, long lda, const float *b, long ldb, int accumulate,
                           float *c, long ldc);
int ck_conv2_gemm_nt20_f64(long m, long k, const double *a, long lda, const double *b, long ldb, int accumulate,
                           double *c, long ldc);

/// C[m × n] = Aᵀ · B with A [k × m] and B [k × n] (conv2's input adjoint); m a multiple of 5,
/// n of 64 floats or 32 doubles.
int ck_conv2_gemm_tn_f32(long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c,
                         long ldc);
int ck_conv2_gemm_tn_f64(long m, long n, long k, const double *a, long lda, const double *b, long ldb, double *c,
                         long ldc);

#ifdef __cplusplus
}
#endif

#endif
