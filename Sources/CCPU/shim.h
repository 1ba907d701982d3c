#ifndef SPARROW_CCPU_SHIM_H
#define SPARROW_CCPU_SHIM_H

#include <stdbool.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// __builtin_prefetch is a compiler builtin Swift cannot name. Unlike a load, a prefetch retires at
// once, so a kernel can ask for many scattered lines ahead without stalling on any of them.
static inline void sparrow_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

// The spin-wait hint (x86 PAUSE, arm64 YIELD): a thread polling a flag yields the core's shared
// resources and avoids the memory-order flush when the flag finally changes.
static inline void sparrow_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// Bit u set where x[u] != 0 (NaN included), for 64 floats: SSE2's compare and movemask, four at a
// time, which Swift's SIMD types have no way to name.
static inline unsigned long long sparrow_nonzero_bits64(const float *x) {
    unsigned long long bits = 0;
#if defined(__SSE2__)
    const __m128 zero = _mm_setzero_ps();
    for (int u = 0; u < 64; u += 4) {
        bits |= (unsigned long long)_mm_movemask_ps(_mm_cmpneq_ps(_mm_loadu_ps(x + u), zero)) << u;
    }
#else
    for (int u = 0; u < 64; u++) bits |= (unsigned long long)(x[u] != 0) << u;
#endif
    return bits;
}

// x unchanged, but opaque to the optimiser: it cannot fold a chain of shifts back into shifts of
// the original, which on x86 costs a register copy per extracted lane.
static inline unsigned long long sparrow_opaque_u64(unsigned long long x) {
    __asm__("" : "+r"(x));
    return x;
}

// Whether this x86-64 CPU and the OS support AVX2 with FMA (Haswell and later, Zen and later): the
// CPUID feature bits and, through XGETBV, that the OS saves the YMM registers on context switch.
static inline bool sparrow_cpu_has_avx2_fma(void) {
#if defined(__x86_64__)
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    const unsigned int fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28;
    if ((ecx & (fma | osxsave | avx)) != (fma | osxsave | avx)) return false;
    unsigned int xcr0_low, xcr0_high;
    __asm__ __volatile__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 0x6) != 0x6) return false;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    return (ebx & (1u << 5)) != 0;
#else
    return false;
#endif
}

// Eight lanes of floats or 32-bit integers; Swift imports them as SIMD8<Float> and SIMD8<Int32>.
typedef float sparrow_float8 __attribute__((ext_vector_type(8)));
typedef int sparrow_int8 __attribute__((ext_vector_type(8)));

#if defined(__x86_64__)
// A 16-entry table lookup in registers (AVX2 VPERMPS twice and a blend on index bit 3): the
// codebook of a 4-bit code, held in two vectors. Swift has no dynamic vector shuffle, and a lookup
// through memory costs a load per word. Only code compiled for AVX2 (-target-cpu haswell) may call
// it: a target attribute instead would let baseline callers pass the vectors in the wrong registers.
typedef float sparrow_v8sf __attribute__((vector_size(32)));
typedef int sparrow_v8si __attribute__((vector_size(32)));
static inline sparrow_float8 sparrow_lookup16_avx2(sparrow_float8 low, sparrow_float8 high, sparrow_int8 index) {
    sparrow_v8si i = (sparrow_v8si)index;
    sparrow_v8sf a = __builtin_ia32_permvarsf256((sparrow_v8sf)low, i);
    sparrow_v8sf b = __builtin_ia32_permvarsf256((sparrow_v8sf)high, i);
    return (sparrow_float8)__builtin_ia32_blendvps256(a, b, (sparrow_v8sf)(i << 28));
}

// The lookup for the eight byte or 16-bit words at `words` (unaligned) whose bits under `code_mask`
// are the code. Widening here takes one VPMOVZX; Swift's SIMD conversion of 16-bit lanes, re-vectorised
// by the optimiser, took a dozen shuffles and scalar inserts.
typedef unsigned char sparrow_u8x8 __attribute__((vector_size(8), aligned(1)));
typedef unsigned short sparrow_u16x8 __attribute__((vector_size(16), aligned(1)));
static inline sparrow_float8 sparrow_lookup16_u8_avx2(sparrow_float8 low, sparrow_float8 high, const void *words,
                                                      unsigned char code_mask) {
    sparrow_u8x8 w = *(const sparrow_u8x8 *)words & code_mask;
    return sparrow_lookup16_avx2(low, high, __builtin_convertvector(w, sparrow_int8));
}
static inline sparrow_float8 sparrow_lookup16_u16_avx2(sparrow_float8 low, sparrow_float8 high, const void *words,
                                                       unsigned short code_mask) {
    sparrow_u16x8 w = *(const sparrow_u16x8 *)words & code_mask;
    return sparrow_lookup16_avx2(low, high, __builtin_convertvector(w, sparrow_int8));
}
#endif

#endif
