/* npimatch/simd.h - run-time choice of SIMD kernels.
 *
 * Every SIMD kernel in the engine has a scalar reference and AVX2 and/or
 * AVX-512 versions that return bit-identical results. The widest level the
 * CPU and OS support is chosen once per process; the environment variable
 * NPIMATCH_SIMD=scalar|avx2|avx512 caps it (tests use it to run every path,
 * and a level the machine lacks falls back to the best one it has). */
#ifndef NPIMATCH_SIMD_H
#define NPIMATCH_SIMD_H

#include "npimatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nm_simd_level {
    NM_SIMD_SCALAR = 0,
    NM_SIMD_AVX2 = 1,   /* AVX2 + BMI1/2 + POPCNT + LZCNT */
    NM_SIMD_AVX512 = 2  /* AVX-512 F, BW, VL, DQ, CD (Skylake-X, Ice Lake, Zen 4+) */
} nm_simd_level;

/* nm_simd_detect: the widest level this CPU and OS can run (checks OS support
 * for the YMM/ZMM register state, not just CPUID flags). Pure; thread-safe. */
NM_API nm_simd_level nm_simd_detect(void);

/* nm_simd_active: the level kernels use: nm_simd_detect() capped by
 * NPIMATCH_SIMD and by nm_simd_force(). Computed once, then cached. */
NM_API nm_simd_level nm_simd_active(void);

/* nm_simd_force: set the active level for this process (tests and
 * benchmarks). Returns NM_OK, or NM_E_UNSUPPORTED if the machine cannot run
 * `level` (the active level is then unchanged). Not for use while kernels run. */
NM_API int nm_simd_force(nm_simd_level level);

/* nm_simd_name: "scalar", "avx2" or "avx512". Static string. */
NM_API const char *nm_simd_name(nm_simd_level level);

#ifdef __cplusplus
}
#endif
#endif
