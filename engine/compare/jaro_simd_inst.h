/* Instantiates the lane-generic Jaro-Winkler kernel (jaro_simd_tmpl.h) for
 * 16-, 32- and 64-bit lanes and defines the nm_jv_kernel_fn entry point
 * JV_KERNEL that picks one by lane width. Included once by jaro_avx2.c and
 * jaro_avx512.c, with JV_VB (vector bytes), JV_KERNEL and the ISA hooks of
 * the template defined; optionally JV_CORE16 / JV_CORE16_CTX /
 * JV_CORE16_PREP / JV_FINISH16, the ISA-specific passes and output of the
 * 16-bit lanes (the template's JV_CORE... and JV_FINISH for that width). */
#define JV_LW 16
#define JV_T uint16_t
#define JV_S int16_t
#ifdef JV_CORE16
#define JV_CORE JV_CORE16
#define JV_CORE_CTX JV_CORE16_CTX
#define JV_CORE_PREP JV_CORE16_PREP
#endif
#ifdef JV_FINISH16
#define JV_FINISH JV_FINISH16
#endif
#include "compare/jaro_simd_tmpl.h"
#undef JV_CORE
#undef JV_CORE_CTX
#undef JV_CORE_PREP
#undef JV_FINISH
#undef JV_LW
#undef JV_T
#undef JV_S
#define JV_LW 32
#define JV_T uint32_t
#define JV_S int32_t
#include "compare/jaro_simd_tmpl.h"
#undef JV_LW
#undef JV_T
#undef JV_S
#define JV_LW 64
#define JV_T uint64_t
#define JV_S int64_t
#include "compare/jaro_simd_tmpl.h"
#undef JV_LW
#undef JV_T
#undef JV_S

size_t JV_KERNEL(const uint8_t *q, uint32_t lq, const char *bytes, const char *end, const uint32_t *offsets,
                 const uint32_t *idx, size_t base, size_t cnt, int lw, const nm_jv_out *o) {
    if (lw == 16) return jv_lanes_16(q, lq, bytes, end, offsets, idx, base, cnt, o);
    if (lw == 32) return jv_lanes_32(q, lq, bytes, end, offsets, idx, base, cnt, o);
    return jv_lanes_64(q, lq, bytes, end, offsets, idx, base, cnt, o);
}
