// cpuid / xgetbv feature detection (Intel SDM vol. 2A, CPUID; AMD APM vol. 3, CPUID).
#include "CKernels.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

char *const *ck_environment(void) { return environ; }

void ck_write_error_line(const char *text) {
    size_t length = strlen(text);
    char *line = malloc(length + 1);
    if (!line) return;
    memcpy(line, text, length);
    line[length] = '\n';
    ssize_t written = write(2, line, length + 1);
    (void)written;
    free(line);
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

void ck_query_cpu_features(ck_cpu_features *f) {
    memset(f, 0, sizeof *f);
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return;
    unsigned int maximumLeaf = eax;
    memcpy(f->vendor + 0, &ebx, 4);
    memcpy(f->vendor + 4, &edx, 4);
    memcpy(f->vendor + 8, &ecx, 4);
    f->vendor[12] = 0;
    if (maximumLeaf < 1) return;
    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    uint32_t baseFamily = (eax >> 8) & 0xf, baseModel = (eax >> 4) & 0xf;
    uint32_t extendedFamily = (eax >> 20) & 0xff, extendedModel = (eax >> 16) & 0xf;
    f->family = baseFamily == 0xf ? baseFamily + extendedFamily : baseFamily;
    f->model = (baseFamily == 0x6 || baseFamily == 0xf) ? (extendedModel << 4) + baseModel : baseModel;
    f->stepping = eax & 0xf;
    f->sse2 = (edx >> 26) & 1;
    f->sse3 = ecx & 1;
    f->ssse3 = (ecx >> 9) & 1;
    f->fma = (ecx >> 12) & 1;
    f->sse41 = (ecx >> 19) & 1;
    f->sse42 = (ecx >> 20) & 1;
    f->avx = (ecx >> 28) & 1;
    f->f16c = (ecx >> 29) & 1;
    int osxsave = (ecx >> 27) & 1;
    if (osxsave) {
        uint64_t xcr0 = read_xcr0();
        f->osSavesAVX = (xcr0 & 0x6) == 0x6;
        f->osSavesAVX512 = f->osSavesAVX && (xcr0 & 0xe0) == 0xe0;
    }
    if (maximumLeaf < 7) return;
    __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx);
    unsigned int subleaves = eax;
    f->avx2 = (ebx >> 5) & 1;
    f->avx512f = (ebx >> 16) & 1;
    f->avx512dq = (ebx >> 17) & 1;
    f->avx512cd = (ebx >> 28) & 1;
    f->avx512bw = (ebx >> 30) & 1;
    f->avx512vl = (ebx >> 31) & 1;
    if (subleaves >= 1) {
        __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx);
        f->avx512bf16 = (eax >> 5) & 1;
    }
}

#else

void ck_query_cpu_features(ck_cpu_features *f) { memset(f, 0, sizeof *f); }

#endif
