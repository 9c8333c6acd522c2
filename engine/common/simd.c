/* Run-time SIMD level selection (see include/npimatch/simd.h).
 *
 * __builtin_cpu_supports() in gcc's libgcc checks XGETBV for the OS-enabled
 * register state as well as CPUID, so an AVX-512 CPU under an OS (or VM) that
 * does not save ZMM registers reports no AVX-512. We require every AVX-512
 * subset the kernels are compiled with (F, BW, VL, DQ, CD), because compiling
 * a file with -mavx512bw lets gcc use BW instructions anywhere in it. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "npimatch/simd.h"

static _Atomic int active_level = -1;

nm_simd_level nm_simd_detect(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("bmi2") &&
        __builtin_cpu_supports("popcnt"))
        return NM_SIMD_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
        __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt") &&
        __builtin_cpu_supports("fma"))
        return NM_SIMD_AVX2;
#endif
    return NM_SIMD_SCALAR;
}

static nm_simd_level parse_level(const char *s, nm_simd_level fallback) {
    if (!s || !*s) return fallback;
    if (!strcmp(s, "scalar")) return NM_SIMD_SCALAR;
    if (!strcmp(s, "avx2")) return NM_SIMD_AVX2;
    if (!strcmp(s, "avx512")) return NM_SIMD_AVX512;
    return fallback;
}

nm_simd_level nm_simd_active(void) {
    int lvl = atomic_load_explicit(&active_level, memory_order_relaxed);
    if (lvl >= 0) return (nm_simd_level)lvl;
    nm_simd_level best = nm_simd_detect();
    nm_simd_level want = parse_level(getenv("NPIMATCH_SIMD"), best);
    if (want > best) want = best;
    /* Racing first callers compute the same value, so a plain store is fine. */
    atomic_store_explicit(&active_level, (int)want, memory_order_relaxed);
    return want;
}

int nm_simd_force(nm_simd_level level) {
    if ((int)level < 0 || level > nm_simd_detect()) return NM_E_UNSUPPORTED;
    atomic_store_explicit(&active_level, (int)level, memory_order_relaxed);
    return NM_OK;
}

const char *nm_simd_name(nm_simd_level level) {
    switch (level) {
    case NM_SIMD_AVX512: return "avx512";
    case NM_SIMD_AVX2: return "avx2";
    default: return "scalar";
    }
}
