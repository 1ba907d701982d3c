// A C model of the batch-1 byte-word column kernel (SparseColumnKernel.accumulateLookingUp):
// 4-bit gaps and codes, positions by a SWAR prefix sum, four 64-bit loads a pass, weights looked
// up among the 16 activation-scaled codebook entries and added into y. Two lookups compared on
// the same columns (Alex-7's shape and densities, fillers included): AVX2 (two VPERMPS and a
// blend per 8 words, as the shim's sparrow_lookup16_u8_avx2) and AVX-512 (one VPERMPS per 16).
// Needs AVX-512F/BW/VL (Zen 4, Ice Lake and later); run.sh skips it elsewhere.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROWS 4096
#define COLUMNS 4096
#define ONES 0x0101010101010101ull

static uint8_t *words;
static uint32_t start[COLUMNS + 1];
static int active[COLUMNS];
static float activation[COLUMNS];
static int activeCount;
static float y[ROWS + 4096];  // room for a column's last pass past the final row

static double nowNs(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static uint64_t rngState = 88172645463325252ull;
static uint64_t nextRandom(void) {
    rngState ^= rngState << 13;
    rngState ^= rngState >> 7;
    rngState ^= rngState << 17;
    return rngState;
}
static double uniform(void) { return (nextRandom() >> 11) * (1.0 / 9007199254740992.0); }

// Hides a value from the optimiser so the pair chain below stays a shift per pair.
static inline uint64_t opaque(uint64_t v) {
    __asm__("" : "+r"(v));
    return v;
}

// Lane u: the offset of word u from the position before the load.
static inline uint64_t offsets(uint64_t packed) { return (((packed >> 4) & 0x0f0f0f0f0f0f0f0full) + ONES) * ONES; }

// y[base + offset of lane] += weight, for the four lanes of q; `pairs` advances 16 bits per pair.
#define SCATTER4(yp, pairs, q)                                                      \
    do {                                                                            \
        yp[pairs & 0xff] += _mm_cvtss_f32(q);                                       \
        yp[(pairs >> 8) & 0xff] += _mm_cvtss_f32(_mm_movehdup_ps(q));               \
        pairs = opaque(pairs >> 16);                                                \
        yp[pairs & 0xff] += _mm_cvtss_f32(_mm_unpackhi_ps(q, q));                   \
        yp[(pairs >> 8) & 0xff] += _mm_cvtss_f32(_mm_shuffle_ps(q, q, 3));          \
        pairs = opaque(pairs >> 16);                                                \
    } while (0)

static inline void scatter8(long *position, uint64_t packed, __m128 first4, __m128 last4) {
    uint64_t off = offsets(packed), pairs = off;
    float *yp = y + *position;
    SCATTER4(yp, pairs, first4);
    SCATTER4(yp, pairs, last4);
    *position += off >> 56;
}

static inline __m256 lookUpAVX2(__m256 low, __m256 high, const uint8_t *p) {
    __m128i codes = _mm_and_si128(_mm_loadl_epi64((const __m128i *)p), _mm_set1_epi8(15));
    __m256i index = _mm256_cvtepu8_epi32(codes);
    __m256 a = _mm256_permutevar8x32_ps(low, index), b = _mm256_permutevar8x32_ps(high, index);
    return _mm256_blendv_ps(a, b, _mm256_castsi256_ps(_mm256_slli_epi32(index, 28)));
}

// VPERMPS reads the low 4 bits of each index: the gap above the code needs no mask.
static inline __m512 lookUpAVX512(__m512 table, const uint8_t *p) {
    return _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)), table);
}

static void tail(const uint8_t *w, long p, long end, long position, const float *scaled) {
    while (p < end) {
        uint8_t b = w[p++];
        position += (b >> 4) + 1;
        y[position] += scaled[b & 15];
    }
}

__attribute__((noinline)) static void runAVX2(const float *codebook) {
    __m256 low = _mm256_loadu_ps(codebook), high = _mm256_loadu_ps(codebook + 8);
    for (int k = 0; k < activeCount; k++) {
        __m256 a = _mm256_set1_ps(activation[k]);
        __m256 scaledLow = _mm256_mul_ps(low, a), scaledHigh = _mm256_mul_ps(high, a);
        long p = start[active[k]], end = start[active[k] + 1], position = -1;
        for (; p + 32 <= end; p += 32) {
            uint64_t packed[4];
            memcpy(packed, words + p, 32);
            __m256 w[4];
            for (int i = 0; i < 4; i++) w[i] = lookUpAVX2(scaledLow, scaledHigh, words + p + 8 * i);
            for (int i = 0; i < 4; i++)
                scatter8(&position, packed[i], _mm256_castps256_ps128(w[i]), _mm256_extractf128_ps(w[i], 1));
        }
        for (; p + 8 <= end; p += 8) {
            uint64_t packed;
            memcpy(&packed, words + p, 8);
            __m256 w = lookUpAVX2(scaledLow, scaledHigh, words + p);
            scatter8(&position, packed, _mm256_castps256_ps128(w), _mm256_extractf128_ps(w, 1));
        }
        float scaled[16];
        _mm256_storeu_ps(scaled, scaledLow);
        _mm256_storeu_ps(scaled + 8, scaledHigh);
        tail(words, p, end, position, scaled);
    }
}

__attribute__((noinline)) static void runAVX512(const float *codebook) {
    __m512 table = _mm512_loadu_ps(codebook);
    for (int k = 0; k < activeCount; k++) {
        __m512 scaled = _mm512_mul_ps(table, _mm512_set1_ps(activation[k]));
        long p = start[active[k]], end = start[active[k] + 1], position = -1;
        for (; p + 32 <= end; p += 32) {
            uint64_t packed[4];
            memcpy(packed, words + p, 32);
            __m512 a = lookUpAVX512(scaled, words + p), b = lookUpAVX512(scaled, words + p + 16);
            scatter8(&position, packed[0], _mm512_castps512_ps128(a), _mm512_extractf32x4_ps(a, 1));
            scatter8(&position, packed[1], _mm512_extractf32x4_ps(a, 2), _mm512_extractf32x4_ps(a, 3));
            scatter8(&position, packed[2], _mm512_castps512_ps128(b), _mm512_extractf32x4_ps(b, 1));
            scatter8(&position, packed[3], _mm512_extractf32x4_ps(b, 2), _mm512_extractf32x4_ps(b, 3));
        }
        for (; p + 8 <= end; p += 8) {
            uint64_t packed;
            memcpy(&packed, words + p, 8);
            __m512i index = _mm512_castsi256_si512(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(words + p))));
            __m256 w = _mm512_castps512_ps256(_mm512_permutexvar_ps(index, scaled));
            scatter8(&position, packed, _mm256_castps256_ps128(w), _mm256_extractf128_ps(w, 1));
        }
        float table16[16];
        _mm512_storeu_ps(table16, scaled);
        tail(words, p, end, position, table16);
    }
}

int main(void) {
    const double weightDensity = 0.09, activationDensity = 0.353;  // Alex-7
    words = aligned_alloc(64, (size_t)ROWS * COLUMNS / 4 + 64);
    size_t stored = 0;
    for (int j = 0; j < COLUMNS; j++) {
        start[j] = stored;
        int previous = -1;
        for (int r = 0; r < ROWS; r++) {
            if (uniform() >= weightDensity) continue;
            int gap = r - previous - 1;
            for (; gap > 15; gap -= 16) words[stored++] = 0xF0 | 15;  // filler: gap 15, zero weight
            words[stored++] = (gap << 4) | (nextRandom() % 15);
            previous = r;
        }
    }
    start[COLUMNS] = stored;
    for (int j = 0; j < COLUMNS; j++) {
        if (uniform() < activationDensity) {
            activation[activeCount] = (nextRandom() % 1000) / 1000.0f + 0.001f;
            active[activeCount++] = j;
        }
    }
    long visited = 0;
    for (int k = 0; k < activeCount; k++) visited += start[active[k] + 1] - start[active[k]];
    float codebook[16];
    for (int i = 0; i < 16; i++) codebook[i] = (i - 7.5f) * 0.1f;
    codebook[15] = 0;

    static float reference[ROWS];
    runAVX2(codebook);
    memcpy(reference, y, sizeof reference);
    memset(y, 0, sizeof y);
    runAVX512(codebook);
    double difference = 0;
    for (int i = 0; i < ROWS; i++) {
        double d = reference[i] > y[i] ? reference[i] - y[i] : y[i] - reference[i];
        if (d > difference) difference = d;
    }
    double bestAVX2 = 1e30, bestAVX512 = 1e30;
    for (int round = 0; round < 400; round++) {
        double t0 = nowNs();
        runAVX2(codebook);
        double t1 = nowNs();
        runAVX512(codebook);
        double t2 = nowNs();
        if (t1 - t0 < bestAVX2) bestAVX2 = t1 - t0;
        if (t2 - t1 < bestAVX512) bestAVX512 = t2 - t1;
    }
    printf("lookup model: %ld visited words; best of 400, one thread: AVX2 lookup %.1f us (%.3f ns/word), "
           "AVX-512 lookup %.1f us (%.3f ns/word); max |difference| %g\n",
           visited, bestAVX2 / 1e3, bestAVX2 / visited, bestAVX512 / 1e3, bestAVX512 / visited, difference);
    return difference > 1e-3;
}
