// conv2 of the fused MultiLeNet three ways, one thread, this machine: ParetoKit's AVX-512 GEMM
// kernels (Sources/CKernels), libxsmm 1.17's JIT small GEMMs, OpenBLAS sgemm, and oneDNN 2.6's
// convolution primitives — the candidates of issue 14 ("measure before you choose").
//
// GEMMs: the three products conv2 has per 8-image block (N = 8 · 64 output positions):
//   forward      C[20 × N] = W[20 × K] · X[K × N]        K = 250 (primal), 500 ([W; Ẇ] tangent)
//   weight adj.  C[20 × 250] += Ȳ[20 × N] · X[250 × N]ᵀ
//   input adj.   C[250 × N] = W[K × 250]ᵀ · Ȳ[K × N]     K = 20 (primal), 40 (tangent)
// Convolutions (oneDNN): conv2 on a 64-image shard, src 64×10×12×12, weights 20×10×5×5,
// dst 64×20×8×8 — forward, backward data, backward weights — rated by the same shard's GEMM
// FLOPs; ParetoKit's figure to compare is its im2col + GEMM + col2im time (pareto-bench hvp
// --breakdown), since these primitives replace all three.
//
// Build with clang (Swift's, as SwiftPM builds CKernels; GCC does not inline the vector helpers
// into the target("avx512f") functions and runs ParetoKit's kernels at ~100 GFLOPS) and run
// (Debian: libxsmm-dev, libdnnl-dev, libopenblas-dev):
//   clang -O2 -std=c11 -ISources/CKernels/include scripts/experiments/conv2-libraries.c \
//       Sources/CKernels/conv2_gemm_kernels.c Sources/CKernels/cpu_features.c Sources/CKernels/fused_lenet_kernels.c \
//       /usr/lib/libxsmm.a /usr/lib/libxsmmnoblas.a -ldnnl -lopenblas -lpthread -lm -ldl -o /tmp/conv2-libraries
//   OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /tmp/conv2-libraries
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include <libxsmm.h>
#include <oneapi/dnnl/dnnl.h>
#include "CKernels.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static float *filled(long count, unsigned seed) {
    float *p = aligned_alloc(64, ((count * sizeof(float) + 63) / 64) * 64);
    srand(seed);
    for (long i = 0; i < count; i++) p[i] = (float)rand() / RAND_MAX - 0.5f;
    return p;
}

static float maxdiff(const float *a, const float *b, long n) {
    float m = 0;
    for (long i = 0; i < n; i++) { float d = a[i] - b[i]; if (d < 0) d = -d; if (d > m) m = d; }
    return m;
}

// Median of 31 timings of `body` (thread CPU time), as GFLOPS for `flop`.
#define RATE(flop, body) ({ double ts[31]; for (int r_ = 0; r_ < 31; r_++) { double t0_ = now(); for (int i_ = 0; i_ < 20; i_++) { body; } ts[r_] = (now() - t0_) / 20; } \
    for (int a_ = 0; a_ < 31; a_++) for (int b_ = a_ + 1; b_ < 31; b_++) if (ts[b_] < ts[a_]) { double t_ = ts[a_]; ts[a_] = ts[b_]; ts[b_] = t_; } (flop) / ts[15] / 1e9; })

#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { fprintf(stderr, "oneDNN error %d at %s\n", s_, #x); exit(1); } } while (0)

static void gemms(void) {
    const long n = 512;
    printf("GEMMs per 8-image block, one thread, GFLOPS (thread CPU time, median of 31×20):\n");
    printf("%-34s %10s %10s %10s\n", "product", "ParetoKit", "libxsmm", "OpenBLAS");
    long ks[2] = {250, 500};
    for (int i = 0; i < 2; i++) {
        long k = ks[i];
        float *w = filled(20 * k, 1), *x = filled(k * n, 2), *c1 = filled(20 * n, 3), *c2 = filled(20 * n, 4), *c3 = filled(20 * n, 5);
        float *scratch = filled(20 * k, 6);
        double flop = 2.0 * 20 * k * n;
        double ours = RATE(flop, ck_conv2_gemm_nn20_f32(n, k, w, k, x, n, c1, n, scratch));
        // Row-major C = W·X is column-major Cᵀ[n × 20] = Xᵀ[n × k] · Wᵀ[k × 20].
        libxsmm_blasint m_ = n, n_ = 20, k_ = k, lda = n, ldb = k, ldc = n;
        float alpha = 1, beta = 0;
        libxsmm_smmfunction kernel = libxsmm_smmdispatch(m_, n_, k_, &lda, &ldb, &ldc, &alpha, &beta, NULL, NULL);
        double xsmm = kernel ? RATE(flop, kernel(x, w, c2)) : 0;
        double blas = RATE(flop, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 20, n, k, 1, w, k, x, n, 0, c3, n));
        char name[64];
        snprintf(name, sizeof name, "forward [20×%ld]·[%ld×512]", k, k);
        printf("%-34s %10.1f %10.1f %10.1f   (max |diff| vs OpenBLAS %.1e / %.1e)\n", name, ours, xsmm, blas,
               maxdiff(c1, c3, 20 * n), kernel ? maxdiff(c2, c3, 20 * n) : -1.0);
        free(w); free(x); free(c1); free(c2); free(c3); free(scratch);
    }
    {
        long m = 250;
        float *ybar = filled(20 * n, 7), *x = filled(m * n, 8), *c1 = filled(20 * m, 9), *c2 = filled(20 * m, 10), *c3 = filled(20 * m, 11);
        double flop = 2.0 * 20 * m * n;
        double ours = RATE(flop, ck_conv2_gemm_nt20_f32(m, n, ybar, n, x, n, 0, c1, m));
        // Row-major C[20 × 250] = Ȳ·Xᵀ is column-major Cᵀ[250 × 20] = X_cmᵀ … : libxsmm with TRANS_A.
        libxsmm_blasint m_ = m, n_ = 20, k_ = n, lda = n, ldb = n, ldc = m;
        float alpha = 1, beta = 0;
        int flags = LIBXSMM_GEMM_FLAG_TRANS_A;
        libxsmm_smmfunction kernel = libxsmm_smmdispatch(m_, n_, k_, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
        double xsmm = kernel ? RATE(flop, kernel(x, ybar, c2)) : 0;
        double blas = RATE(flop, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 20, m, n, 1, ybar, n, x, n, 0, c3, m));
        printf("%-34s %10.1f %10.1f %10.1f   (max |diff| vs OpenBLAS %.1e / %s)\n", "weight adjoint [20×512]·[250×512]ᵀ", ours, xsmm, blas,
               maxdiff(c1, c3, 20 * m), kernel ? "JIT" : "no JIT kernel for this transpose");
        if (kernel) printf("%-34s max |diff| libxsmm vs OpenBLAS %.1e\n", "", maxdiff(c2, c3, 20 * m));
        free(ybar); free(x); free(c1); free(c2); free(c3);
    }
    long kts[2] = {20, 40};
    for (int i = 0; i < 2; i++) {
        long k = kts[i], m = 250;
        float *w = filled(k * m, 12), *ybar = filled(k * n, 13), *c1 = filled(m * n, 14), *c2 = filled(m * n, 15), *c3 = filled(m * n, 16);
        double flop = 2.0 * k * m * n;
        double ours = RATE(flop, ck_conv2_gemm_tn_f32(m, n, k, w, m, ybar, n, c1, n));
        // Row-major C[250 × n] = Wᵀ·Ȳ is column-major Cᵀ[n × 250] = Ȳᵀ[n × k] · W[k × 250]; row-major
        // Ȳ is column-major Ȳᵀ (ld n), row-major W is column-major Wᵀ (ld 250): B transposed.
        libxsmm_blasint m_ = n, n_ = m, k_ = k, lda = n, ldb = m, ldc = n;
        float alpha = 1, beta = 0;
        int flags = LIBXSMM_GEMM_FLAG_TRANS_B;
        libxsmm_smmfunction kernel = libxsmm_smmdispatch(m_, n_, k_, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
        double xsmm = kernel ? RATE(flop, kernel(ybar, w, c2)) : 0;
        double blas = RATE(flop, cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, k, 1, w, m, ybar, n, 0, c3, n));
        char name[64];
        snprintf(name, sizeof name, "input adjoint [%ld×250]ᵀ·[%ld×512]", k, k);
        printf("%-34s %10.1f %10.1f %10.1f   (max |diff| vs OpenBLAS %.1e / %s %.1e)\n", name, ours, xsmm, blas,
               maxdiff(c1, c3, m * n), kernel ? "JIT" : "no JIT kernel for this transpose", kernel ? maxdiff(c2, c3, m * n) : 0.0);
        free(w); free(ybar); free(c1); free(c2); free(c3);
    }
}

static dnnl_memory_t memory(dnnl_engine_t engine, const dnnl_memory_desc_t *md, unsigned seed) {
    dnnl_memory_t m;
    CHECK(dnnl_memory_create(&m, md, engine, DNNL_MEMORY_ALLOCATE));
    void *p;
    CHECK(dnnl_memory_get_data_handle(m, &p));
    size_t bytes = dnnl_memory_desc_get_size(md);
    float *f = p;
    srand(seed);
    for (size_t i = 0; i < bytes / sizeof(float); i++) f[i] = (float)rand() / RAND_MAX - 0.5f;
    return m;
}

// oneDNN conv2 on one 64-image shard, with `tag` for src/dst/weights (dnnl_format_tag_any lets
// oneDNN choose its blocked layouts, the best case: a model would keep them end to end).
static void convolutions(dnnl_format_tag_t tag, const char *label) {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    dnnl_dims_t src_dims = {64, 10, 12, 12}, w_dims = {20, 10, 5, 5}, b_dims = {20}, dst_dims = {64, 20, 8, 8};
    dnnl_dims_t strides = {1, 1}, padding = {0, 0};
    dnnl_memory_desc_t src_md, w_md, b_md, dst_md;
    CHECK(dnnl_memory_desc_init_by_tag(&src_md, 4, src_dims, dnnl_f32, tag == dnnl_format_tag_any ? tag : dnnl_nchw));
    CHECK(dnnl_memory_desc_init_by_tag(&w_md, 4, w_dims, dnnl_f32, tag == dnnl_format_tag_any ? tag : dnnl_oihw));
    CHECK(dnnl_memory_desc_init_by_tag(&b_md, 1, b_dims, dnnl_f32, dnnl_x));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 4, dst_dims, dnnl_f32, tag == dnnl_format_tag_any ? tag : dnnl_nchw));
    dnnl_convolution_desc_t fd, bdd, bwd;
    CHECK(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src_md, &w_md, &b_md, &dst_md, strides, padding, padding));
    dnnl_primitive_desc_t fpd, bdpd, bwpd;
    CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL));
    CHECK(dnnl_convolution_backward_data_desc_init(&bdd, dnnl_convolution_direct, &src_md, &w_md, &dst_md, strides, padding, padding));
    CHECK(dnnl_primitive_desc_create(&bdpd, &bdd, NULL, engine, fpd));
    CHECK(dnnl_convolution_backward_weights_desc_init(&bwd, dnnl_convolution_direct, &src_md, &w_md, &b_md, &dst_md, strides, padding, padding));
    CHECK(dnnl_primitive_desc_create(&bwpd, &bwd, NULL, engine, fpd));
    const dnnl_memory_desc_t *src_q = dnnl_primitive_desc_query_md(fpd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *w_q = dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *dst_q = dnnl_primitive_desc_query_md(fpd, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t *dsrc_q = dnnl_primitive_desc_query_md(bdpd, dnnl_query_diff_src_md, 0);
    const dnnl_memory_desc_t *ddst_q = dnnl_primitive_desc_query_md(bdpd, dnnl_query_diff_dst_md, 0);
    const dnnl_memory_desc_t *dw_q = dnnl_primitive_desc_query_md(bwpd, dnnl_query_diff_weights_md, 0);
    const dnnl_memory_desc_t *ddst_w = dnnl_primitive_desc_query_md(bwpd, dnnl_query_diff_dst_md, 0);
    const dnnl_memory_desc_t *src_w = dnnl_primitive_desc_query_md(bwpd, dnnl_query_src_md, 0);
    dnnl_memory_t src = memory(engine, src_q, 1), w = memory(engine, w_q, 2), b = memory(engine, &b_md, 3), dst = memory(engine, dst_q, 4);
    dnnl_memory_t dsrc = memory(engine, dsrc_q, 5), ddst = memory(engine, ddst_q, 6), dw = memory(engine, dw_q, 7), db = memory(engine, &b_md, 8);
    dnnl_memory_t ddst2 = memory(engine, ddst_w, 9), src2 = memory(engine, src_w, 10);
    dnnl_primitive_t forward, backward_data, backward_weights;
    CHECK(dnnl_primitive_create(&forward, fpd));
    CHECK(dnnl_primitive_create(&backward_data, bdpd));
    CHECK(dnnl_primitive_create(&backward_weights, bwpd));
    dnnl_exec_arg_t fargs[] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst}};
    dnnl_exec_arg_t dargs[] = {{DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dsrc}};
    dnnl_exec_arg_t wargs[] = {{DNNL_ARG_SRC, src2}, {DNNL_ARG_DIFF_DST, ddst2}, {DNNL_ARG_DIFF_WEIGHTS, dw}, {DNNL_ARG_DIFF_BIAS, db}};
    double flop = 2.0 * 64 * 64 * 20 * 250;
    double f = RATE(flop, { CHECK(dnnl_primitive_execute(forward, stream, 4, fargs)); CHECK(dnnl_stream_wait(stream)); });
    double d = RATE(flop, { CHECK(dnnl_primitive_execute(backward_data, stream, 3, dargs)); CHECK(dnnl_stream_wait(stream)); });
    double wt = RATE(flop, { CHECK(dnnl_primitive_execute(backward_weights, stream, 4, wargs)); CHECK(dnnl_stream_wait(stream)); });
    const char *impl = NULL;
    CHECK(dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, &impl));
    printf("oneDNN conv2, 64-image shard, %-22s forward %6.1f  backward data %6.1f  backward weights %6.1f GFLOPS  (forward implementation: %s)\n",
           label, f, d, wt, impl);
}

int main(void) {
    ck_select_kernels(ck_best_kernels());
    printf("ParetoKit kernels selected: %d (2 = AVX-512); OpenBLAS core %s; libxsmm target %s; oneDNN %d.%d.%d\n",
           ck_selected_kernels(), openblas_get_corename(), libxsmm_get_target_arch(),
           dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch);
    gemms();
    convolutions(dnnl_format_tag_any, "layouts oneDNN chooses");
    convolutions(dnnl_nchw, "NCHW/OIHW");
    return 0;
}
