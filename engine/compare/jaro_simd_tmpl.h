/* Lane-generic body of the Jaro-Winkler one-against-many kernels. Included
 * (no include guard) by jaro_avx2.c and jaro_avx512.c once per lane width,
 * with these macros defined:
 *   JV_VB      vector size in bytes (32 for AVX2, 64 for AVX-512)
 *   JV_LW      lane width in bits = longest candidate in bytes (16, 32, 64)
 *   JV_T, JV_S unsigned and signed integer type of JV_LW bits
 * and these ISA hooks (static inline, defined before the first include):
 *   jv_pm_build(src, fast, end, lw, q, lq, pm)  loads lw bytes from each
 *       lane's src[k] (all at full width if fast, else never at or past end)
 *       and for each query byte q[j] sets one bit per loaded byte equal to
 *       q[j]: pm[j] is a JV_VB*8-bit row, read below as the lane vector whose
 *       lane k has bit i set iff byte i of candidate k is q[j] (8 byte
 *       compares per query byte, whatever lw).
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
#define JV_U JV_N(jv_vec_u32_)
#define JV_I JV_N(jv_vec_i32_)
#define JV_D JV_N(jv_vec_d_)
#define JV_NL (JV_VB / (JV_LW / 8))

typedef JV_T JV_V __attribute__((vector_size(JV_VB), may_alias));
typedef JV_S JV_SV __attribute__((vector_size(JV_VB), may_alias));
typedef uint32_t JV_U __attribute__((vector_size(JV_NL * 4), may_alias));
typedef int32_t JV_I __attribute__((vector_size(JV_NL * 4), may_alias));
typedef double JV_D __attribute__((vector_size(JV_NL * 8), may_alias));

/* Candidates idx[0..cnt), or, when idx is NULL, the run base .. base+cnt-1.
 * A run is taken in full groups only and stops before the first group that
 * holds a candidate longer than JV_LW bytes: returns how many candidates
 * were done (cnt in list mode). */
static size_t JV_N(jv_lanes_)(const uint8_t *q, uint32_t lq, const char *bytes, const char *end,
                              const uint32_t *offsets, const uint32_t *idx, size_t base, size_t cnt,
                              const nm_jv_out *o) {
    JV_V pm[NM_JV_MAX_QUERY], hit[NM_JV_MAX_QUERY];
    uint32_t ixa[JV_NL];
    const uint8_t *src[JV_NL];

    for (size_t g = 0; g < cnt; g += JV_NL) {
        size_t k = cnt - g < JV_NL ? cnt - g : JV_NL;
        const uint32_t *ix = idx ? idx + g : ixa;
        JV_U lenu;
        if (!idx) {
            /* Run mode: lengths by one vector subtraction of offsets. */
            if (k < JV_NL) return g;
            JV_U a, b;
            memcpy(&a, offsets + base + g, sizeof a);
            memcpy(&b, offsets + base + g + 1, sizeof b);
            lenu = b - a;
            uint32_t la[JV_NL], over = 0;
            memcpy(la, &lenu, sizeof la);
            for (size_t l = 0; l < JV_NL; l++) over |= la[l] > JV_LW;
            if (over) return g;
            uint32_t oa[JV_NL];
            memcpy(oa, &a, sizeof oa);
            for (size_t l = 0; l < JV_NL; l++) {
                ixa[l] = (uint32_t)(base + g + l);
                src[l] = (const uint8_t *)bytes + oa[l];
            }
        } else {
            /* List mode: unused lanes get length 0 (empty masks) and point
             * at the first candidate, so every load stays valid. */
            uint32_t la[JV_NL] = {0};
            for (size_t l = 0; l < JV_NL; l++) {
                uint32_t c = ix[l < k ? l : 0];
                src[l] = (const uint8_t *)bytes + offsets[c];
                if (l < k) la[l] = offsets[c + 1] - offsets[c];
            }
            memcpy(&lenu, la, sizeof lenu);
        }
        /* Candidates are in ascending order, so if the last one can be read
         * with full-width loads, all can. Bytes past a candidate's length
         * (its neighbours) are cleared by the length mask below. */
        int fast = (size_t)((const uint8_t *)end - src[k - 1]) >= JV_LW;
        jv_pm_build(src, fast, (const uint8_t *)end, JV_LW, q, lq, pm);

        /* Window radius r = max(floor(max(lc, lq) / 2) - 1, 0) <= 31 and the
         * first window W_0 = bits [0, r], computed in 32-bit lanes where the
         * shift is defined; truncation to the lane keeps all ones once
         * r >= JV_LW - 1. */
        JV_U lqv = lenu * 0 + lq;
        JV_U big = (JV_U)(lenu > lqv);
        JV_U half = ((lenu & big) | (lqv & ~big)) >> 1;
        JV_U ru = half + (JV_U)(half != 0);
        JV_V win = __builtin_convertvector((2u << ru) - 1, JV_V);
        JV_V rv = __builtin_convertvector(ru, JV_V);
        JV_V lenv = __builtin_convertvector(lenu, JV_V);
        /* Length mask (2 << (len - 1)) - 1: the shift stays below the lane
         * width, and a lane of length 0 gets 0. */
        JV_V nz = (JV_V)(lenv != 0);
        JV_V lenmask = (((lenv * 0 + 2) << ((lenv - 1) & nz)) - 1) & nz;
        win &= lenmask;

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
            win = ((win << 1) - (JV_V)((JV_SV)jv < (JV_SV)rv)) & lenmask;
            jv += 1;
        }
        JV_V rest = matched, tcnt = {0};
        for (uint32_t j = 0; j < lq; j++) {
            JV_V low = rest & -rest;
            JV_V miss = (JV_V)((pm[j] & low) == 0) & hit[j];
            tcnt -= miss;
            rest ^= low & hit[j];
        }
        /* Common prefix <= 4: bit i of PM[q[i]], within the length. */
        JV_V pre = {0}, run = ~(JV_V){0};
        for (uint32_t i = 0; i < lq && i < 4; i++) {
            run &= (pm[i] & lenmask) >> i;
            pre += run & 1;
        }

        /* Exact num / den of JW (nm_jv_numden, lane-parallel). */
        JV_U m = __builtin_convertvector(mcnt, JV_U);
        JV_U th = __builtin_convertvector(tcnt >> 1, JV_U);
        JV_U l = __builtin_convertvector(pre, JV_U);
        if (o->parts) {
            uint32_t ma[JV_NL], ta[JV_NL], la[JV_NL], lb[JV_NL];
            memcpy(ma, &m, sizeof m);
            memcpy(ta, &th, sizeof th);
            memcpy(la, &l, sizeof l);
            memcpy(lb, &lenu, sizeof lenu);
            for (size_t z = 0; z < k; z++) {
                nm_jaro_parts *p = &o->parts[ix[z]];
                p->la = lq;
                p->lb = lb[z];
                p->m = ma[z];
                p->t_half = ta[z];
                p->prefix = la[z];
            }
            continue;
        }
        JV_U d = lqv * lenu * m;
        JV_U n = m * m * (lqv + lenu) + (m - th) * lqv * lenu;
        JV_U boost = (JV_U)(10 * n > 21 * d);
        JV_U num = (((10 - l) * n + 3 * l * d) & boost) | (10 * n & ~boost);
        JV_U mz = (JV_U)(m == 0);
        JV_U den = (30 * d & ~mz) | (1 & mz);
        if (o->jw) {
            /* Values < 2^31: the signed conversion is exact on every ISA. */
            JV_D s = __builtin_convertvector((JV_I)num, JV_D) / __builtin_convertvector((JV_I)den, JV_D);
            double sa[JV_NL];
            memcpy(sa, &s, sizeof s);
            if (ix[k - 1] - ix[0] == k - 1) memcpy(o->jw + ix[0], sa, k * sizeof(double));
            else for (size_t z = 0; z < k; z++) o->jw[ix[z]] = sa[z];
        } else {
            /* 100 num <= 100 den < 2^31 and thr * den < 2^31 (thr <= 255,
             * lengths <= 64): signed compares are exact. */
            JV_U lvl = lqv * 0 + (uint32_t)o->nthr;
            for (int t = o->nthr - 1; t >= 0; t--) {
                uint32_t c = o->thr[t];
                JV_U ge = (JV_U)((JV_I)(100 * num) >= (JV_I)(c * den));
                ge = (ge & ~mz) | (mz & (c == 0 ? ~0u : 0u));
                lvl = (ge & (uint32_t)t) | (lvl & ~ge);
            }
            uint32_t la[JV_NL];
            memcpy(la, &lvl, sizeof lvl);
            for (size_t z = 0; z < k; z++) o->level[ix[z]] = (uint8_t)la[z];
        }
    }
    return cnt;
}

#undef JV_V
#undef JV_SV
#undef JV_U
#undef JV_I
#undef JV_D
#undef JV_NL
