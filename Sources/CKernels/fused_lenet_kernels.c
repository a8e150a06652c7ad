// Instantiations of fused_lenet_template.h and their run-time dispatch by cpuid.
#include "CKernels.h"

// The template's helpers pass 8-lane vectors by value; they are static and inlined into the
// kernels of the same instruction set, so the vector calling convention never crosses a call.
#pragma clang diagnostic ignored "-Wpsabi"

#define CK_CAT2(a, b) a##_##b
#define CK_CAT(a, b) CK_CAT2(a, b)

// Portable variants (the target's baseline, SSE2 on x86-64).
#define CK_TARGET
#define CK_GROUP 2
#define CK_T float
#define CK_I int32_t
#define CK_NAME(base) CK_CAT(ck_portable_f32, base)
#include "fused_lenet_template.h"
#undef CK_T
#undef CK_I
#undef CK_NAME
#define CK_T double
#define CK_I int64_t
#define CK_NAME(base) CK_CAT(ck_portable_f64, base)
#include "fused_lenet_template.h"
#undef CK_T
#undef CK_I
#undef CK_NAME
#undef CK_TARGET
#undef CK_GROUP

#if defined(__x86_64__) || defined(__i386__)
#define CK_HAVE_AVX2 1
#define CK_TARGET __attribute__((target("avx2,fma")))
#define CK_GROUP 4
#define CK_T float
#define CK_I int32_t
#define CK_NAME(base) CK_CAT(ck_avx2_f32, base)
#include "fused_lenet_template.h"
#undef CK_T
#undef CK_I
#undef CK_NAME
#undef CK_GROUP
#define CK_GROUP 2
#define CK_T double
#define CK_I int64_t
#define CK_NAME(base) CK_CAT(ck_avx2_f64, base)
#include "fused_lenet_template.h"
#undef CK_T
#undef CK_I
#undef CK_NAME
#undef CK_TARGET
#undef CK_GROUP
#endif

static int ck_best_variant(void) {
    ck_cpu_features f;
    ck_query_cpu_features(&f);
#if defined(__x86_64__)
    if (f.avx512f && f.avx512dq && f.avx512bw && f.avx512vl && f.fma && f.osSavesAVX512) return CK_KERNELS_AVX512;
#endif
    if (f.avx2 && f.fma && f.osSavesAVX) return CK_KERNELS_AVX2_FMA;
    return CK_KERNELS_PORTABLE;
}

static int ck_variant = -1;

int ck_best_kernels(void) { return ck_best_variant(); }

int ck_select_kernels(int maximum) {
    int best = ck_best_variant();
    int chosen = maximum < best ? (maximum < 0 ? 0 : maximum) : best;
    __atomic_store_n(&ck_variant, chosen, __ATOMIC_RELAXED);
    return chosen;
}

int ck_selected_kernels(void) {
    int variant = __atomic_load_n(&ck_variant, __ATOMIC_RELAXED);
    if (variant < 0) {
        variant = ck_best_variant();
        __atomic_store_n(&ck_variant, variant, __ATOMIC_RELAXED);
    }
    return variant;
}

#ifdef CK_HAVE_AVX2
#define CK_DISPATCH(type, base, ...) \
    if (ck_selected_kernels() >= CK_KERNELS_AVX2_FMA) ck_avx2_##type##_##base(__VA_ARGS__); \
    else ck_portable_##type##_##base(__VA_ARGS__)
#else
#define CK_DISPATCH(type, base, ...) ck_portable_##type##_##base(__VA_ARGS__)
#endif

#define CK_PUBLIC(type, T) \
    void ck_conv1_forward_##type(const T *images, long batch, const T *weight, const T *bias, T *a1, \
                                 int32_t *units, int32_t *fields, int64_t *counts) { \
        CK_DISPATCH(type, conv1_forward, images, batch, weight, bias, a1, units, fields, counts); \
    } \
    void ck_conv1_tangent_##type(long count, const int32_t *units, const int32_t *fields, const T *images, \
                                 const T *weight, T bias, T *output) { \
        CK_DISPATCH(type, conv1_tangent, count, units, fields, images, weight, bias, output); \
    } \
    void ck_conv1_parameter_adjoint_##type(long count, const int32_t *units, const int32_t *fields, const T *images, \
                                           const T *adjoint, T *weightAdjoint, T *biasAdjoint) { \
        CK_DISPATCH(type, conv1_parameter_adjoint, count, units, fields, images, adjoint, weightAdjoint, biasAdjoint); \
    } \
    void ck_pool2_forward_##type(const T *y, long batch, const T *bias, T *a, uint8_t *argmax) { \
        CK_DISPATCH(type, pool2_forward, y, batch, bias, a, argmax); \
    } \
    void ck_pool2_tangent_##type(const T *yDot, long batch, const T *biasTangent, const T *a, const uint8_t *argmax, \
                                 T *aDot) { \
        CK_DISPATCH(type, pool2_tangent, yDot, batch, biasTangent, a, argmax, aDot); \
    } \
    void ck_pool2_backward_##type(const T *aBar, long batch, const T *a, const uint8_t *argmax, T *yBar, \
                                  T *biasAdjoint) { \
        CK_DISPATCH(type, pool2_backward, aBar, batch, a, argmax, yBar, biasAdjoint); \
    }

CK_PUBLIC(f32, float)
CK_PUBLIC(f64, double)
