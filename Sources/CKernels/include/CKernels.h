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

#ifdef __cplusplus
}
#endif

#endif
