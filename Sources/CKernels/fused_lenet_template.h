// The conv1 kernels of the fused MultiLeNet, written once with GCC/Clang vector extensions and
// instantiated by fused_lenet_kernels.c for each scalar type (CK_T: float, double) and each
// instruction set (CK_TARGET: none, or __attribute__((target("avx2,fma")))), named
// CK_NAME(base). Under an FMA target, clang contracts `acc += tap * x` into fused
// multiply-adds (-ffp-contract=on, its default for C), one rounding instead of two.
//
// Shapes (see FusedMultiLeNetWorkspace.swift): images [N, 28, 28] followed by at least 8
// zero scalars; conv1 weight [10, 5, 5], bias [10]; pooled activations a1 [10, N, 12, 12];
// the per-channel lists of ReLU-active pooled units (index in the channel's [N, 12, 12]
// plane) and their receptive fields (image offset of the 5x5 window at the argmax).

typedef CK_T CK_NAME(vec) __attribute__((vector_size(8 * sizeof(CK_T))));

CK_TARGET static inline CK_NAME(vec) CK_NAME(load)(const CK_T *p) {
    CK_NAME(vec) v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

CK_TARGET static inline void CK_NAME(store)(CK_T *p, CK_NAME(vec) v) { __builtin_memcpy(p, &v, sizeof v); }

CK_TARGET static inline CK_NAME(vec) CK_NAME(splat)(CK_T x) {
    CK_NAME(vec) v = {x, x, x, x, x, x, x, x};
    return v;
}

// Conv1 output row p of `group` channels starting at `filters` (24 outputs each, three
// 8-lane accumulators; taps summed in (i, j) order), into out[g * 24 ..< g * 24 + 24]. Every
// image load serves all channels of the group.
CK_TARGET __attribute__((always_inline)) static inline void CK_NAME(conv1_rows)(
    const CK_T *image, int p, const CK_T *filters, int group, CK_T *out) {
    CK_NAME(vec) acc[4][3];
    for (int g = 0; g < group; g++)
        for (int k = 0; k < 3; k++) acc[g][k] = CK_NAME(splat)(0);
    for (int i = 0; i < 5; i++) {
        for (int j = 0; j < 5; j++) {
            const CK_T *source = image + (p + i) * 28 + j;
            CK_NAME(vec) x0 = CK_NAME(load)(source), x1 = CK_NAME(load)(source + 8), x2 = CK_NAME(load)(source + 16);
            for (int g = 0; g < group; g++) {
                CK_NAME(vec) tap = CK_NAME(splat)(filters[g * 25 + i * 5 + j]);
                acc[g][0] += tap * x0;
                acc[g][1] += tap * x1;
                acc[g][2] += tap * x2;
            }
        }
    }
    for (int g = 0; g < group; g++)
        for (int k = 0; k < 3; k++) CK_NAME(store)(out + g * 24 + 8 * k, acc[g][k]);
}

// conv1 -> bias -> 2x2 max-pool -> ReLU for `batch` images, with the argmax and the active
// lists (counts[c] entries per channel, appended in (n, r, s) order). Ties go to the first
// maximum in row-major window order; ReLU(0) = 0 is inactive.
CK_TARGET static void CK_NAME(conv1_forward)(
    const CK_T *images, long batch, const CK_T *weight, const CK_T *bias, CK_T *a1,
    int32_t *units, int32_t *fields, int64_t *counts) {
    const long plane = batch * 144;
    CK_T rows[2][10 * 24];
    // The counts live in registers/stack until the end: `counts` may share a cache line with
    // another shard's data that a concurrent task writes.
    int64_t local[10] = {0};
    for (long n = 0; n < batch; n++) {
        const CK_T *image = images + n * 784;
        for (int r = 0; r < 12; r++) {
            for (int h = 0; h < 2; h++) {
#if CK_GROUP == 4
                CK_NAME(conv1_rows)(image, 2 * r + h, weight, 4, rows[h]);
                CK_NAME(conv1_rows)(image, 2 * r + h, weight + 100, 4, rows[h] + 96);
                CK_NAME(conv1_rows)(image, 2 * r + h, weight + 200, 2, rows[h] + 192);
#else
                for (int c = 0; c < 10; c += 2) CK_NAME(conv1_rows)(image, 2 * r + h, weight + 25 * c, 2, rows[h] + 24 * c);
#endif
            }
            for (int c = 0; c < 10; c++) {
                const CK_T b = bias[c];
                const CK_T *top = rows[0] + 24 * c, *bottom = rows[1] + 24 * c;
                CK_T *out = a1 + c * plane + (n * 12 + r) * 12;
                int32_t *unitList = units + c * plane, *fieldList = fields + c * plane;
                int64_t count = local[c];
                for (int s = 0; s < 12; s++) {
                    CK_T v0 = top[2 * s] + b, v1 = top[2 * s + 1] + b, v2 = bottom[2 * s] + b, v3 = bottom[2 * s + 1] + b;
                    CK_T best = v0;
                    int index = 0;
                    if (v1 > best) { best = v1; index = 1; }
                    if (v2 > best) { best = v2; index = 2; }
                    if (v3 > best) { best = v3; index = 3; }
                    CK_T a = 0 >= best ? 0 : best; // Swift.max(best, 0), NaN propagating
                    out[s] = a;
                    if (a > 0) {
                        unitList[count] = (int32_t)((n * 12 + r) * 12 + s);
                        fieldList[count] = (int32_t)(n * 784 + (2 * r + (index >> 1)) * 28 + 2 * s + (index & 1));
                        count++;
                    }
                }
                local[c] = count;
            }
        }
    }
    for (int c = 0; c < 10; c++) counts[c] = local[c];
}

// The five filter rows of one channel in zero-padded 8-lane vectors.
CK_TARGET static inline void CK_NAME(filter_rows)(const CK_T *w, CK_NAME(vec) rows[5]) {
    for (int i = 0; i < 5; i++) {
        CK_NAME(vec) row = CK_NAME(splat)(0);
        for (int j = 0; j < 5; j++) row[j] = w[i * 5 + j];
        rows[i] = row;
    }
}

// conv1's tangent at the `count` active units of one channel: output[unit] = sum over the
// 5x5 field of weight * image + bias (output is the channel's zeroed [N, 12, 12] plane).
CK_TARGET static void CK_NAME(conv1_tangent)(
    long count, const int32_t *units, const int32_t *fields, const CK_T *images, const CK_T *weight, CK_T bias,
    CK_T *output) {
    CK_NAME(vec) w[5];
    CK_NAME(filter_rows)(weight, w);
    for (long e = 0; e < count; e++) {
        const CK_T *field = images + fields[e];
        CK_NAME(vec) sum = w[0] * CK_NAME(load)(field);
        sum += w[1] * CK_NAME(load)(field + 28);
        sum += w[2] * CK_NAME(load)(field + 56);
        sum += w[3] * CK_NAME(load)(field + 84);
        sum += w[4] * CK_NAME(load)(field + 112);
        CK_T total = ((sum[0] + sum[1]) + (sum[2] + sum[3])) + ((sum[4] + sum[5]) + (sum[6] + sum[7]));
        output[units[e]] = total + bias;
    }
}

// conv1's weight and bias adjoints of one channel from the pooled adjoint (the channel's
// [N, 12, 12] plane), summed over the active units in list order.
CK_TARGET static void CK_NAME(conv1_parameter_adjoint)(
    long count, const int32_t *units, const int32_t *fields, const CK_T *images, const CK_T *adjoint,
    CK_T *weightAdjoint, CK_T *biasAdjoint) {
    CK_NAME(vec) r0 = CK_NAME(splat)(0), r1 = r0, r2 = r0, r3 = r0, r4 = r0;
    CK_T biasSum = 0;
    for (long e = 0; e < count; e++) {
        const CK_T g = adjoint[units[e]];
        biasSum += g;
        const CK_T *field = images + fields[e];
        CK_NAME(vec) gv = CK_NAME(splat)(g);
        r0 += gv * CK_NAME(load)(field);
        r1 += gv * CK_NAME(load)(field + 28);
        r2 += gv * CK_NAME(load)(field + 56);
        r3 += gv * CK_NAME(load)(field + 84);
        r4 += gv * CK_NAME(load)(field + 112);
    }
    CK_NAME(vec) rows[5] = {r0, r1, r2, r3, r4};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) weightAdjoint[i * 5 + j] = rows[i][j];
    biasAdjoint[0] = biasSum;
}

// conv2's 2x2 max-pooling of channel-major outputs y [20, N, 8, 8], fused with the bias
// before it and the ReLU after it. The pooled value of channel c, image n, window (r, s) and
// its argmax (0..3, row-major in the window; ties to the first maximum) live at
// c*16 + n*320 + r*4 + s, the flattened [N, 320] layout fc1 reads. Four windows (one row
// pair) per step, in 4-lane vectors.
typedef CK_T CK_NAME(vec4) __attribute__((vector_size(4 * sizeof(CK_T))));
typedef CK_I CK_NAME(mask4) __attribute__((vector_size(4 * sizeof(CK_T))));
typedef CK_T CK_NAME(row8) __attribute__((vector_size(8 * sizeof(CK_T))));

CK_TARGET static inline CK_NAME(vec4) CK_NAME(select4)(CK_NAME(mask4) m, CK_NAME(vec4) a, CK_NAME(vec4) b) {
    return (CK_NAME(vec4))(((CK_NAME(mask4))a & m) | ((CK_NAME(mask4))b & ~m));
}

CK_TARGET static void CK_NAME(pool2_forward)(
    const CK_T *y, long batch, const CK_T *bias, CK_T *a, uint8_t *argmax) {
    for (int c = 0; c < 20; c++) {
        const CK_NAME(vec4) b = {bias[c], bias[c], bias[c], bias[c]};
        const CK_NAME(vec4) zero = {0, 0, 0, 0};
        for (long n = 0; n < batch; n++) {
            const CK_T *input = y + (c * batch + n) * 64;
            const long out = c * 16 + n * 320;
            for (int r = 0; r < 4; r++) {
                CK_NAME(row8) top, bottom;
                __builtin_memcpy(&top, input + 16 * r, sizeof top);
                __builtin_memcpy(&bottom, input + 16 * r + 8, sizeof bottom);
                CK_NAME(vec4) v0 = __builtin_shufflevector(top, top, 0, 2, 4, 6) + b;
                CK_NAME(vec4) v1 = __builtin_shufflevector(top, top, 1, 3, 5, 7) + b;
                CK_NAME(vec4) v2 = __builtin_shufflevector(bottom, bottom, 0, 2, 4, 6) + b;
                CK_NAME(vec4) v3 = __builtin_shufflevector(bottom, bottom, 1, 3, 5, 7) + b;
                CK_NAME(mask4) index = {0, 0, 0, 0};
                const CK_NAME(mask4) one = {1, 1, 1, 1};
                CK_NAME(vec4) best = v0;
                CK_NAME(mask4) greater = v1 > best;
                best = CK_NAME(select4)(greater, v1, best);
                index = (greater & one) | (index & ~greater);
                greater = v2 > best;
                best = CK_NAME(select4)(greater, v2, best);
                index = (greater & (one + one)) | (index & ~greater);
                greater = v3 > best;
                best = CK_NAME(select4)(greater, v3, best);
                index = (greater & (one + one + one)) | (index & ~greater);
                // Swift.max(best, 0): 0 where 0 >= best, best otherwise (NaN propagates).
                CK_NAME(vec4) value = CK_NAME(select4)(zero >= best, zero, best);
                __builtin_memcpy(a + out + 4 * r, &value, sizeof value);
                for (int s = 0; s < 4; s++) argmax[out + 4 * r + s] = (uint8_t)index[s];
            }
        }
    }
}

// The tangent of pooling: aDot = [a > 0] (yDot + bDot) at the argmax.
CK_TARGET static void CK_NAME(pool2_tangent)(
    const CK_T *yDot, long batch, const CK_T *biasTangent, const CK_T *a, const uint8_t *argmax, CK_T *aDot) {
    for (int c = 0; c < 20; c++) {
        const CK_T bDot = biasTangent[c];
        for (long n = 0; n < batch; n++) {
            const CK_T *input = yDot + (c * batch + n) * 64;
            const long out = c * 16 + n * 320;
            for (int k = 0; k < 16; k++) {
                const int index = argmax[out + k], r = k >> 2, s = k & 3;
                const CK_T source = input[(2 * r + (index >> 1)) * 8 + 2 * s + (index & 1)];
                aDot[out + k] = a[out + k] > 0 ? source + bDot : 0;
            }
        }
    }
}

// The adjoint of pooling: yBar (every element: [a > 0] aBar at the argmax, 0 elsewhere) and
// the bias adjoint, each channel's sum taken in (n, r, s) order.
CK_TARGET static void CK_NAME(pool2_backward)(
    const CK_T *aBar, long batch, const CK_T *a, const uint8_t *argmax, CK_T *yBar, CK_T *biasAdjoint) {
    for (int c = 0; c < 20; c++) {
        CK_T sum = 0;
        for (long n = 0; n < batch; n++) {
            CK_T *target = yBar + (c * batch + n) * 64;
            const long out = c * 16 + n * 320;
            for (int r = 0; r < 4; r++) {
                const long k = out + 4 * r;
                CK_NAME(vec4) value, adjoint;
                __builtin_memcpy(&value, a + k, sizeof value);
                __builtin_memcpy(&adjoint, aBar + k, sizeof adjoint);
                const CK_NAME(vec4) zero = {0, 0, 0, 0};
                const CK_NAME(vec4) g = CK_NAME(select4)(value > zero, adjoint, zero);
                const CK_NAME(mask4) index = {argmax[k], argmax[k + 1], argmax[k + 2], argmax[k + 3]};
                const CK_NAME(mask4) one = {1, 1, 1, 1};
                const CK_NAME(vec4) e0 = CK_NAME(select4)(index == 0 * one, g, zero);
                const CK_NAME(vec4) e1 = CK_NAME(select4)(index == one, g, zero);
                const CK_NAME(vec4) e2 = CK_NAME(select4)(index == one + one, g, zero);
                const CK_NAME(vec4) e3 = CK_NAME(select4)(index == one + one + one, g, zero);
                CK_NAME(row8) top = __builtin_shufflevector(e0, e1, 0, 4, 1, 5, 2, 6, 3, 7);
                CK_NAME(row8) bottom = __builtin_shufflevector(e2, e3, 0, 4, 1, 5, 2, 6, 3, 7);
                __builtin_memcpy(target + 16 * r, &top, sizeof top);
                __builtin_memcpy(target + 16 * r + 8, &bottom, sizeof bottom);
                sum += g[0];
                sum += g[1];
                sum += g[2];
                sum += g[3];
            }
        }
        biasAdjoint[c] = sum;
    }
}
