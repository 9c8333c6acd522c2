/* Lane-generic body of the Jaro-Winkler one-against-many kernels. Included
 * (no include guard) by jaro_simd_inst.h once per lane width,
 * with these macros defined:
 *   JV_VB      vector size in bytes (32 for AVX2, 64 for AVX-512)
 *   JV_LW      lane width in bits = longest candidate in bytes (16, 32, 64)
 *   JV_T, JV_S unsigned and signed integer type of JV_LW bits
 * and these ISA hooks (static inline, defined before the first include):
 *   jv_pm_build(b8, of, fast, end, lw, q, lq, pm)  loads lw bytes at each
 *       lane's b8 + of[k] (all at full width if fast, else never at or past end)
 *       and for each query byte q[j] sets one bit per loaded byte equal to
 *       q[j]: pm[j] is a JV_VB*8-bit row, read below as the lane vector whose
 *       lane k has bit i set iff byte i of candidate k is q[j] (8 byte
 *       compares per query byte, whatever lw).
 * Optionally JV_CORE / JV_CORE_CTX / JV_CORE_PREP: an ISA-specific version of
 * the matching and transposition passes for this lane width, and JV_FINISH:
 * of the score / level output (same results).
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
#define JV_CK (JV_NL < JV_VB / 4 ? JV_NL : JV_VB / 4)
#define JV_CH (JV_CK < 8 ? JV_CK : 8)

typedef JV_T JV_V __attribute__((vector_size(JV_VB), may_alias));
typedef JV_S JV_SV __attribute__((vector_size(JV_VB), may_alias));

/* Lane-parallel code uses only native-width vectors (wider generic vectors
 * are split badly by gcc); per-lane integer arithmetic on JV_NL entries is
 * written as plain fixed-count loops, which gcc vectorizes for the ISA. */

/* Scores or levels of one group from the integer parts, in chunks of
 * JV_CK lanes of 32-bit integers (native width on both ISAs): the exact
 * num / den of nm_jv_numden and the division nm_jw_from_parts performs
 * (num, den < 2^31, so the signed conversions are exact), or the exact
 * threshold decisions of nm_jw_at_least (100 num <= 100 den < 2^31 and
 * thr * den < 2^31 for thr <= 255 and lengths <= 64). */
static void JV_N(jv_finish_)(uint32_t lq, const uint32_t *lenA, const JV_T *mT, const JV_T *thT, const JV_T *preT,
                             const uint32_t *ix, size_t k, const nm_jv_out *o) {
    typedef int32_t CI __attribute__((vector_size(JV_CK * 4)));
    typedef int32_t CH __attribute__((vector_size(JV_CH * 4)));
    typedef double CD __attribute__((vector_size(JV_CH * 8)));
    int32_t mA[JV_NL], thA[JV_NL], lA[JV_NL];
    double sa[JV_NL] __attribute__((aligned(64)));
    uint8_t lv[JV_NL];
    for (size_t z = 0; z < JV_NL; z++) {
        mA[z] = mT[z];
        thA[z] = thT[z];
        lA[z] = preT[z];
    }
    for (size_t c = 0; c < JV_NL; c += JV_CK) {
        CI m, th, l, lb, zero = {0};
        memcpy(&m, mA + c, sizeof m);
        memcpy(&th, thA + c, sizeof th);
        memcpy(&l, lA + c, sizeof l);
        memcpy(&lb, lenA + c, sizeof lb);
        CI la = zero + (int32_t)lq;
        CI d = la * lb * m;
        CI n = m * m * (la + lb) + (m - th) * la * lb;
        CI boost = 10 * n > 21 * d;
        CI num = (((10 - l) * n + 3 * l * d) & boost) | (10 * n & ~boost);
        CI mz = m == 0;
        CI den = (30 * d & ~mz) | (1 & mz);
        if (o->jw) {
            /* In pieces of at most 8 lanes (a 512-bit double vector; gcc 12
             * cannot lower wider int-to-double conversions at -O0). */
            int32_t na[JV_CK], da[JV_CK];
            memcpy(na, &num, sizeof na);
            memcpy(da, &den, sizeof da);
            for (size_t h = 0; h < JV_CK; h += JV_CH) {
                CH nh, dh;
                memcpy(&nh, na + h, sizeof nh);
                memcpy(&dh, da + h, sizeof dh);
                CD sv = __builtin_convertvector(nh, CD) / __builtin_convertvector(dh, CD);
                memcpy(sa + c + h, &sv, sizeof sv);
            }
        } else {
            CI lvl = zero + o->nthr;
            for (int t = o->nthr - 1; t >= 0; t--) {
                int32_t thr = o->thr[t];
                CI ge = ((100 * num >= thr * den) & ~mz) | (mz & (thr == 0 ? -1 : 0));
                lvl = (ge & t) | (lvl & ~ge);
            }
            typedef uint8_t CB __attribute__((vector_size(JV_CK)));
            CB b = __builtin_convertvector(lvl, CB);
            memcpy(lv + c, &b, sizeof b);
        }
    }
    int full_run = k == JV_NL && ix[k - 1] - ix[0] == k - 1;
    if (o->jw) {
        if (full_run) memcpy(o->jw + ix[0], sa, sizeof sa);
        else for (size_t z = 0; z < k; z++) o->jw[ix[z]] = sa[z];
    } else {
        if (full_run) memcpy(o->level + ix[0], lv, sizeof lv);
        else for (size_t z = 0; z < k; z++) o->level[ix[z]] = lv[z];
    }
}

/* Candidates idx[0..cnt), or, when idx is NULL, the run base .. base+cnt-1.
 * A run is taken in full groups only and stops before the first group that
 * holds a candidate longer than JV_LW bytes: returns how many candidates
 * were done (cnt in list mode). */
static size_t JV_N(jv_lanes_)(const uint8_t *q, uint32_t lq, const char *bytes, const char *end,
                              const uint32_t *offsets, const uint32_t *idx, size_t base, size_t cnt,
                              const nm_jv_out *o) {
    JV_V pm[NM_JV_MAX_QUERY], hit[NM_JV_MAX_QUERY];
    uint32_t ixa[JV_NL], lenA[JV_NL], ofa[JV_NL];
    JV_T lenT[JV_NL] __attribute__((aligned(64))), mT[JV_NL] __attribute__((aligned(64)));
    JV_T thT[JV_NL] __attribute__((aligned(64))), preT[JV_NL] __attribute__((aligned(64)));
    const uint8_t *b8 = (const uint8_t *)bytes;
#ifdef JV_CORE
    JV_CORE_CTX core;
    JV_CORE_PREP(&core, lq);
#endif

    for (size_t g = 0; g < cnt; g += JV_NL) {
        size_t k = cnt - g < JV_NL ? cnt - g : JV_NL;
        const uint32_t *ix = idx ? idx + g : ixa, *lane_of;
        if (!idx) {
            if (k < JV_NL) return g;
            const uint32_t *of = offsets + base + g;
            uint32_t over = 0;
            for (size_t l = 0; l < JV_NL; l++) {
                lenA[l] = of[l + 1] - of[l];
                over |= lenA[l] > JV_LW;
            }
            if (over) return g;
            for (size_t l = 0; l < JV_NL; l++) ixa[l] = (uint32_t)(base + g + l);
            lane_of = of;
        } else {
            /* Unused lanes get length 0 (empty masks) and point at the first
             * candidate, so every load stays valid. */
            for (size_t l = 0; l < JV_NL; l++) {
                uint32_t c = ix[l < k ? l : 0];
                ofa[l] = offsets[c];
                lenA[l] = l < k ? offsets[c + 1] - offsets[c] : 0;
            }
            lane_of = ofa;
        }
        for (size_t l = 0; l < JV_NL; l++) lenT[l] = (JV_T)lenA[l];
        /* Candidates are in ascending order, so if the last one can be read
         * with full-width loads, all can. Bytes past a candidate's length
         * (its neighbours) are cleared by the length mask below. */
        int fast = (size_t)((const uint8_t *)end - (b8 + lane_of[k - 1])) >= JV_LW;
        jv_pm_build(b8, lane_of, fast, (const uint8_t *)end, JV_LW, q, lq, pm);

        /* Window radius r = max(floor(max(lc, lq) / 2) - 1, 0) <= 31, first
         * window W_0 = bits [0, r] = (2 << min(r, JV_LW - 1)) - 1 (all ones
         * once r >= JV_LW - 1), and the length mask (2 << (lc - 1)) - 1
         * (0 for lc = 0); every shift stays below the lane width. */
        JV_V lenv, zero = {0};
        memcpy(&lenv, lenT, sizeof lenv);
        JV_V lqv = zero + (JV_T)lq, two = zero + 2;
        JV_V big = (JV_V)(lenv > lqv);
        JV_V half = ((lenv & big) | (lqv & ~big)) >> 1;
        JV_V rv = half + (JV_V)(half != 0);
        JV_V capped = (JV_V)(rv > (JV_T)(JV_LW - 1));
        JV_V win = (two << ((rv & ~capped) | ((JV_T)(JV_LW - 1) & capped))) - 1;
        JV_V nz = (JV_V)(lenv != 0);
        JV_V lenmask = ((two << ((lenv - 1) & nz)) - 1) & nz;
        /* Positions past the length start out "taken", so they never match
         * and the window needs no masking inside the loop. */
        JV_V mcnt, tcnt;
#ifdef JV_CORE
        JV_CORE(&core, pm, lq, rv, lenmask, &mcnt, &tcnt);
        (void)win;
        (void)hit;
#else
        JV_V matched = ~lenmask, jv = zero;
        mcnt = zero;
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
        JV_V rest = matched & lenmask;
        tcnt = zero;
        for (uint32_t j = 0; j < lq; j++) {
            JV_V low = rest & -rest;
            JV_V miss = (JV_V)((pm[j] & low) == 0) & hit[j];
            tcnt -= miss;
            rest ^= low & hit[j];
        }
#endif
        /* Common prefix <= 4: bit i of PM[q[i]], within the length. */
        JV_V pre = zero, run = ~zero;
        for (uint32_t i = 0; i < lq && i < 4; i++) {
            run &= (pm[i] & lenmask) >> i;
            pre += run & 1;
        }
        JV_V th = tcnt >> 1;
#ifdef JV_FINISH
        if (!o->parts) {
            JV_FINISH(lq, lenv, mcnt, th, pre, ix, k, o);
            continue;
        }
#endif
        memcpy(mT, &mcnt, sizeof mcnt);
        memcpy(thT, &th, sizeof th);
        memcpy(preT, &pre, sizeof pre);

        if (o->parts) {
            for (size_t z = 0; z < k; z++) {
                nm_jaro_parts *p = &o->parts[ix[z]];
                p->la = lq;
                p->lb = lenA[z];
                p->m = mT[z];
                p->t_half = thT[z];
                p->prefix = preT[z];
            }
        } else {
            JV_N(jv_finish_)(lq, lenA, mT, thT, preT, ix, k, o);
        }
    }
    return cnt;
}

#undef JV_V
#undef JV_SV
#undef JV_NL
#undef JV_CK
#undef JV_CH
