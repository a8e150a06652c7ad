// The skinny GEMMs of the fused MultiLeNet's conv2, written once with GCC/Clang vector
// extensions in 64-byte vectors (16 floats or 8 doubles: one ZMM register) and instantiated by
// conv2_gemm_kernels.c for each scalar type (CK_T) under
// __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl"))), named CK_NAME(base). Clang
// contracts `acc += a * b` into fused multiply-adds (-ffp-contract=on, its default for C).
//
// All matrices are row-major. conv2 has 20 output channels and 250 = 10·5·5 patch rows; its
// GEMMs have one side of 20 (or 40 for the stacked tangent) and the other of B·64 block
// columns (B images of 8×8 outputs), so every shape below is fixed except the block columns,
// a multiple of 64. No operand is packed except the 20-row left factor of the NN product
// (a few kilobytes). Each output element is summed in one fixed order, so the results depend
// neither on the thread nor on the data's alignment.

typedef CK_T CK_NAME(zvec) __attribute__((vector_size(64)));
#define CK_LANES ((long)(64 / sizeof(CK_T)))

CK_TARGET static inline CK_NAME(zvec) CK_NAME(zload)(const CK_T *p) {
    CK_NAME(zvec) v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

CK_TARGET static inline void CK_NAME(zstore)(CK_T *p, CK_NAME(zvec) v) { __builtin_memcpy(p, &v, sizeof v); }

CK_TARGET static inline CK_NAME(zvec) CK_NAME(zsplat)(CK_T x) {
    const CK_NAME(zvec) zero = {0};
    return zero + x;
}

// The sum of a vector's lanes in a fixed pairwise order (lower and upper halves added,
// recursively), in register shuffles. CK_ZLANES (16 or 8) is the lane count of CK_NAME(zvec).
typedef CK_T CK_NAME(v8) __attribute__((vector_size(8 * sizeof(CK_T))));
typedef CK_T CK_NAME(v4) __attribute__((vector_size(4 * sizeof(CK_T))));
typedef CK_T CK_NAME(v2) __attribute__((vector_size(2 * sizeof(CK_T))));

CK_TARGET static inline CK_T CK_NAME(zsum)(CK_NAME(zvec) v) {
#if CK_ZLANES == 16
    const CK_NAME(v8) s8 = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                           __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
#else
    const CK_NAME(v8) s8 = v;
#endif
    const CK_NAME(v4) s4 = __builtin_shufflevector(s8, s8, 0, 1, 2, 3) + __builtin_shufflevector(s8, s8, 4, 5, 6, 7);
    const CK_NAME(v2) s2 = __builtin_shufflevector(s4, s4, 0, 1) + __builtin_shufflevector(s4, s4, 2, 3);
    return s2[0] + s2[1];
}

// C[20 × n] = A[20 × k] · B[k × n] for n a multiple of 2·CK_LANES: output tiles of 10 rows ×
// 2 vectors (20 accumulators), each element summed over k in order with one FMA per step.
// `packed` holds A k-major (packed[κ·20 + r] = A[r, κ]) so that a step's ten broadcasts read
// one or two cache lines.
CK_TARGET static void CK_NAME(gemm_nn20)(long n, long k, const CK_T *a, long lda, const CK_T *b, long ldb,
                                         CK_T *c, long ldc, CK_T *packed) {
    for (long r = 0; r < 20; r++)
        for (long kk = 0; kk < k; kk++) packed[kk * 20 + r] = a[r * lda + kk];
    for (long j = 0; j < n; j += 2 * CK_LANES) {
        for (int half = 0; half < 2; half++) {
            const CK_T *column = packed + 10 * half;
            CK_NAME(zvec) acc[10][2];
            for (int r = 0; r < 10; r++) acc[r][0] = acc[r][1] = CK_NAME(zsplat)(0);
            for (long kk = 0; kk < k; kk++) {
                const CK_NAME(zvec) b0 = CK_NAME(zload)(b + kk * ldb + j), b1 = CK_NAME(zload)(b + kk * ldb + j + CK_LANES);
                const CK_T *s = column + kk * 20;
                for (int r = 0; r < 10; r++) {
                    const CK_NAME(zvec) x = CK_NAME(zsplat)(s[r]);
                    acc[r][0] += x * b0;
                    acc[r][1] += x * b1;
                }
            }
            for (int r = 0; r < 10; r++) {
                CK_T *row = c + (10 * half + r) * ldc + j;
                CK_NAME(zstore)(row, acc[r][0]);
                CK_NAME(zstore)(row + CK_LANES, acc[r][1]);
            }
        }
    }
}

// Five rows i₀ … i₀+4 of A against `count` (1 … 4) rows j₀ … of B: C[i, j] (+)= Σ_κ A[i, κ] B[j, κ],
// each dot product accumulated lane-wise over κ in order, then its lanes summed pairwise.
CK_TARGET __attribute__((always_inline)) static inline void CK_NAME(nt_tile)(
    int count, long k, const CK_T *a, long lda, const CK_T *b, long ldb, int accumulate, CK_T *c, long ldc) {
    CK_NAME(zvec) acc[5][4];
    for (int r = 0; r < 5; r++)
        for (int q = 0; q < 4; q++) acc[r][q] = CK_NAME(zsplat)(0);
    for (long kk = 0; kk < k; kk += CK_LANES) {
        CK_NAME(zvec) y[4];
        for (int q = 0; q < count; q++) y[q] = CK_NAME(zload)(b + q * ldb + kk);
        for (int r = 0; r < 5; r++) {
            const CK_NAME(zvec) x = CK_NAME(zload)(a + r * lda + kk);
            for (int q = 0; q < count; q++) acc[r][q] += x * y[q];
        }
    }
    for (int r = 0; r < 5; r++)
        for (int q = 0; q < count; q++) {
            const CK_T sum = CK_NAME(zsum)(acc[r][q]);
            c[r * ldc + q] = accumulate ? c[r * ldc + q] + sum : sum;
        }
}

// C[20 × m] (+)= A[20 × k] · B[m × k]ᵀ for k a multiple of CK_LANES (the weight adjoint
// Ȳ·cols(a)ᵀ): for each group of five rows of A (kept in L1), every group of four rows of B.
CK_TARGET static void CK_NAME(gemm_nt20)(long m, long k, const CK_T *a, long lda, const CK_T *b, long ldb,
                                         int accumulate, CK_T *c, long ldc) {
    for (long i = 0; i < 20; i += 5) {
        long j = 0;
        for (; j + 4 <= m; j += 4) CK_NAME(nt_tile)(4, k, a + i * lda, lda, b + j * ldb, ldb, accumulate, c + i * ldc + j, ldc);
        switch (m - j) {
        case 3: CK_NAME(nt_tile)(3, k, a + i * lda, lda, b + j * ldb, ldb, accumulate, c + i * ldc + j, ldc); break;
        case 2: CK_NAME(nt_tile)(2, k, a + i * lda, lda, b + j * ldb, ldb, accumulate, c + i * ldc + j, ldc); break;
        case 1: CK_NAME(nt_tile)(1, k, a + i * lda, lda, b + j * ldb, ldb, accumulate, c + i * ldc + j, ldc); break;
        default: break;
        }
    }
}

// C[m × n] = Aᵀ · B with A [k × m], B [k × n] (the input adjoint Wᵀ·Ȳ, k = 20 or 40), for m a
// multiple of 5 and n of 4·CK_LANES: output tiles of 5 rows × 4 vectors, each element summed
// over k in order; the B columns of a tile stay in L1 while every row group passes.
CK_TARGET static void CK_NAME(gemm_tn)(long m, long n, long k, const CK_T *a, long lda, const CK_T *b, long ldb,
                                       CK_T *c, long ldc) {
    for (long j = 0; j < n; j += 4 * CK_LANES) {
        for (long i = 0; i < m; i += 5) {
            CK_NAME(zvec) acc[5][4];
            for (int r = 0; r < 5; r++)
                for (int q = 0; q < 4; q++) acc[r][q] = CK_NAME(zsplat)(0);
            for (long kk = 0; kk < k; kk++) {
                const CK_T *row = b + kk * ldb + j;
                CK_NAME(zvec) y[4];
                for (int q = 0; q < 4; q++) y[q] = CK_NAME(zload)(row + q * CK_LANES);
                const CK_T *s = a + kk * lda + i;
                for (int r = 0; r < 5; r++) {
                    const CK_NAME(zvec) x = CK_NAME(zsplat)(s[r]);
                    for (int q = 0; q < 4; q++) acc[r][q] += x * y[q];
                }
            }
            for (int r = 0; r < 5; r++)
                for (int q = 0; q < 4; q++) CK_NAME(zstore)(c + (i + r) * ldc + j + q * CK_LANES, acc[r][q]);
        }
    }
}

#undef CK_LANES
