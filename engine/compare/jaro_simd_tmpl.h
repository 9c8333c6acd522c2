/* Lane-generic body of the Jaro-Winkler one-against-many kernels. Included
 * (no include guard) by jaro_avx2.c and jaro_avx512.c once per lane width,
 * with these macros defined:
 *   JV_VB      vector size in bytes (32 for AVX2, 64 for AVX-512)
 *   JV_LW      lane width in bits = longest candidate in bytes (16, 32, 64)
 *   JV_T, JV_S unsigned and signed integer type of JV_LW bits
 * and these ISA hooks (static inline, defined before the first include):
 *   jv_stage(dst, src, len, lw, sentinel, end)  copy a candidate into its
 *       lw-byte slot, padding with `sentinel`, never reading at or past end;
 *   jv_pm_build(stage, q, lq, pm)  for each query byte q[j], one bit per
 *       staged byte equal to q[j]: pm[j] is a JV_VB*8-bit row, read below
 *       as the lane vector whose lane k has bit i set iff candidate k has
 *       q[j] at position i (8 byte compares per query byte, whatever lw).
 *
 * Algorithm (bit-parallel greedy matching, as in rapidfuzz-cpp, with the
 * transpositions vectorized as well): the candidates are the "pattern"
 * (a bit per position), the query is the "text". For text position j a lane
 * has the window W_j = bits [j - r, j + r] of its own window radius r; the
 * match is the lowest set bit of PM[q[j]] & W_j & ~matched, which is exactly
 * the first free candidate position the textbook loop would take. A second
 * pass pairs the j-th matched query byte with the lowest remaining matched
 * candidate position; they differ iff that position's bit is not in PM[q[j]]. */
#define JV_CAT_(a, b) a##b
#define JV_CAT(a, b) JV_CAT_(a, b)
#define JV_N(x) JV_CAT(x, JV_LW)
#define JV_V JV_N(jv_vec_u)
#define JV_SV JV_N(jv_vec_s)
#define JV_NL (JV_VB / (JV_LW / 8))

typedef JV_T JV_V __attribute__((vector_size(JV_VB), may_alias));
typedef JV_S JV_SV __attribute__((vector_size(JV_VB), may_alias));

static void JV_N(jv_lanes_)(const uint8_t *q, uint32_t lq, uint8_t sentinel, const char *bytes, const char *end,
                            const uint32_t *offsets, const uint32_t *idx, size_t cnt, const nm_jv_out *o) {
    uint8_t stage[JV_NL * JV_LW] __attribute__((aligned(64)));
    JV_V pm[NM_JV_MAX_QUERY], hit[NM_JV_MAX_QUERY];
    JV_T len_a[JV_NL] __attribute__((aligned(64))), r_a[JV_NL] __attribute__((aligned(64)));
    JV_T w0_a[JV_NL] __attribute__((aligned(64)));
    JV_T m_a[JV_NL] __attribute__((aligned(64))), th_a[JV_NL] __attribute__((aligned(64)));
    JV_T pre_a[JV_NL] __attribute__((aligned(64)));

    for (size_t g = 0; g < cnt; g += JV_NL) {
        size_t k = cnt - g < JV_NL ? cnt - g : JV_NL;
        for (size_t l = 0; l < JV_NL; l++) {
            uint32_t len = 0;
            if (l < k) {
                uint32_t c = idx[g + l];
                len = offsets[c + 1] - offsets[c];
                jv_stage(stage + l * JV_LW, (const uint8_t *)bytes + offsets[c], len, JV_LW, sentinel,
                         (const uint8_t *)end);
            } else {
                memset(stage + l * JV_LW, sentinel, JV_LW);
            }
            uint32_t mx = len > lq ? len : lq;
            uint32_t r = mx / 2 >= 1 ? mx / 2 - 1 : 0;
            len_a[l] = (JV_T)len;
            r_a[l] = (JV_T)r;
            /* W_0 = bits [0, r]; r <= 31, so the 64-bit shift is defined and
             * truncation to the lane gives all ones once r >= JV_LW - 1. */
            w0_a[l] = (JV_T)((2ull << r) - 1);
        }
        jv_pm_build(stage, q, lq, pm);

        JV_V win, rv, lenv;
        memcpy(&win, w0_a, sizeof win);
        memcpy(&rv, r_a, sizeof rv);
        memcpy(&lenv, len_a, sizeof lenv);
        JV_V matched = {0}, mcnt = {0}, jv = {0};
        for (uint32_t j = 0; j < lq; j++) {
            JV_V x = pm[j] & win & ~matched;
            JV_V low = x & -x;
            JV_V h = (JV_V)(x != 0);
            matched |= low;
            mcnt -= h;
            hit[j] = h;
            /* W_{j+1} = (W_j << 1) | [j < r]: subtracting the all-ones lane of
             * the compare adds the 1 into the bit the shift left empty. */
            win = (win << 1) - (JV_V)((JV_SV)jv < (JV_SV)rv);
            jv += 1;
        }
        JV_V rest = matched, tcnt = {0};
        for (uint32_t j = 0; j < lq; j++) {
            JV_V low = rest & -rest;
            JV_V miss = (JV_V)((pm[j] & low) == 0) & hit[j];
            tcnt -= miss;
            rest ^= low & hit[j];
        }
        /* Common prefix <= 4: bit i of PM[q[i]] (sentinel padding keeps bits
         * past the candidate's end clear). */
        JV_V pre = {0}, run = ~(JV_V){0};
        for (uint32_t i = 0; i < lq && i < 4; i++) {
            run &= (pm[i] >> i) & 1;
            pre += run;
        }
        JV_V th = tcnt >> 1;
        memcpy(m_a, &mcnt, sizeof mcnt);
        memcpy(th_a, &th, sizeof th);
        memcpy(pre_a, &pre, sizeof pre);
        (void)lenv;

        if (o->parts) {
            for (size_t l = 0; l < k; l++) {
                nm_jaro_parts *p = &o->parts[idx[g + l]];
                p->la = lq;
                p->lb = len_a[l];
                p->m = m_a[l];
                p->t_half = th_a[l];
                p->prefix = pre_a[l];
            }
        } else if (o->jw) {
            double s[JV_NL] __attribute__((aligned(64)));
            for (size_t l = 0; l < JV_NL; l++) {
                uint32_t num, den;
                nm_jv_numden(lq, len_a[l], m_a[l], th_a[l], pre_a[l], &num, &den);
                s[l] = (double)num / (double)den;
            }
            for (size_t l = 0; l < k; l++) o->jw[idx[g + l]] = s[l];
        } else {
            for (size_t l = 0; l < k; l++) {
                uint32_t num, den;
                nm_jv_numden(lq, len_a[l], m_a[l], th_a[l], pre_a[l], &num, &den);
                o->level[idx[g + l]] = nm_jv_level(m_a[l], num, den, o->thr, o->nthr);
            }
        }
    }
}

#undef JV_V
#undef JV_SV
#undef JV_NL
