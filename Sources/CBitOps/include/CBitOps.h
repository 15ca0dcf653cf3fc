#ifndef REWARDBITS_CBITOPS_H
#define REWARDBITS_CBITOPS_H

#include <stdint.h>
#if defined(__BMI2__) || defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

/// The low bits of `bits`, one by one, placed at the set bits of `mask`
/// counting up from bit 0 (BMI2 `pdep`). Bits beyond popcount(mask) are
/// ignored. One instruction where the importing module is compiled for BMI2
/// (x86-64-v3 and up); a loop over the set bits elsewhere, same result.
static inline __attribute__((always_inline)) uint64_t rb_deposit_bits(uint64_t bits, uint64_t mask) {
#if defined(__BMI2__)
    return _pdep_u64(bits, mask);
#else
    uint64_t result = 0;
    while (mask != 0) {
        uint64_t lowest = mask & (0 - mask);
        result |= lowest & (0 - (bits & 1));
        bits >>= 1;
        mask &= mask - 1;
    }
    return result;
#endif
}

/// Sixteen 32-bit lanes (imported into Swift as SIMD16<UInt32>).
typedef uint32_t rb_u32x16 __attribute__((ext_vector_type(16)));

/// The lanes i of `v` equal to some lane j < i with bit j set in `earlier`,
/// as a bit mask (bit i = lane i). One AVX-512 conflict detection and one
/// test where the importing module is compiled for AVX-512 CD; a double
/// loop elsewhere, same result.
static inline __attribute__((always_inline)) uint16_t rb_lanes_repeating(rb_u32x16 v, uint16_t earlier) {
#if defined(__AVX512CD__) && defined(__AVX512F__)
    __m512i conflicts = _mm512_conflict_epi32((__m512i)v);
    return _mm512_test_epi32_mask(conflicts, _mm512_set1_epi32(earlier));
#else
    uint16_t result = 0;
    for (int i = 1; i < 16; i++) {
        for (int j = 0; j < i; j++) {
            if (((earlier >> j) & 1) && v[j] == v[i]) { result |= (uint16_t)(1u << i); break; }
        }
    }
    return result;
#endif
}

/// The lanes where `a` and `b` are equal, as a bit mask (bit i = lane i).
static inline __attribute__((always_inline)) uint16_t rb_lanes_equal(rb_u32x16 a, rb_u32x16 b) {
#if defined(__AVX512F__)
    return _mm512_cmpeq_epi32_mask((__m512i)a, (__m512i)b);
#else
    uint16_t result = 0;
    for (int i = 0; i < 16; i++) {
        if (a[i] == b[i]) { result |= (uint16_t)(1u << i); }
    }
    return result;
#endif
}

/// Lane i of `chosen` where bit i of `mask` is set, of `otherwise` elsewhere
/// (one AVX-512 blend where the importing module is compiled for it).
static inline __attribute__((always_inline)) rb_u32x16 rb_select_lanes(uint16_t mask, rb_u32x16 chosen, rb_u32x16 otherwise) {
#if defined(__AVX512F__)
    return (rb_u32x16)_mm512_mask_blend_epi32(mask, (__m512i)otherwise, (__m512i)chosen);
#else
    rb_u32x16 result = otherwise;
    for (int i = 0; i < 16; i++) {
        if ((mask >> i) & 1) { result[i] = chosen[i]; }
    }
    return result;
#endif
}

/// The high (`high` nonzero) or low halves of the lane-wise 32x32 -> 64-bit
/// products of `a` with `m`. Where the importing module is compiled for
/// AVX-512: two unsigned 32-bit multiplies (even and odd lanes) and a
/// two-source permute that picks the halves apart; called for both halves,
/// the multiplies are shared, five single-uop instructions in all, only two
/// on the multiplier port (a lane-wise 32-bit low multiply is two uops there
/// on Intel cores). Elsewhere the same in portable code.
static inline __attribute__((always_inline)) rb_u32x16 rb_multiply_half(rb_u32x16 a, uint32_t m, int high) {
#if defined(__AVX512F__)
    const __m512i factor = _mm512_set1_epi64((long long)m);
    const __m512i even = _mm512_mul_epu32((__m512i)a, factor);
    const __m512i odd = _mm512_mul_epu32(_mm512_shuffle_epi32((__m512i)a, (_MM_PERM_ENUM)0xF5), factor);
    const __m512i lanes = high ? _mm512_set_epi32(31, 15, 29, 13, 27, 11, 25, 9, 23, 7, 21, 5, 19, 3, 17, 1)
                               : _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2, 16, 0);
    return (rb_u32x16)_mm512_permutex2var_epi32(even, lanes, odd);
#else
    rb_u32x16 r;
    for (int i = 0; i < 16; i++) {
        uint64_t p = (uint64_t)a[i] * m;
        r[i] = (uint32_t)(high ? p >> 32 : p);
    }
    return r;
#endif
}

/// Stamps `tokens[0..<count]` with `stamp` in a table of one stamp per
/// symbol and returns how many of them did not carry it yet: the number of
/// distinct tokens when `stamp` is new. Counted without a branch per token:
/// with a concentrated policy repeats are common and unpredictable.
static inline __attribute__((always_inline)) int rb_stamp_tokens(uint16_t *stamps, const uint32_t *tokens, int count,
                                                                 uint16_t stamp) {
    int fresh = 0;
    for (int i = 0; i < count; i++) {
        uint32_t token = tokens[i];
        fresh += __builtin_unpredictable(stamps[token] != stamp);
        stamps[token] = stamp;
    }
    return fresh;
}

/// The number of distinct values among the tokens `group[i]` whose lane bit
/// is set: i < 16 in `first` (bit i), 16 <= i < 32 in `second` (bit i - 16).
/// The reference loop; see `rb_distinct_tokens`.
static inline __attribute__((always_inline)) int rb_distinct_tokens_scalar(const uint32_t *group, uint16_t first, uint16_t second) {
    int count = 0;
    for (int i = 0; i < 32; i++) {
        int active = i < 16 ? (first >> i) & 1 : (second >> (i - 16)) & 1;
        if (!active) { continue; }
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) {
            int earlier = j < 16 ? (first >> j) & 1 : (second >> (j - 16)) & 1;
            seen = earlier && group[j] == group[i];
        }
        count += !seen;
    }
    return count;
}

/// The numbers of distinct tokens of two groups at once, `x` and `y`, each
/// of the tokens below 2^16 whose lane bit is set (i < 16 in `first`, bit i;
/// 16 <= i < 32 in `second`, bit i - 16; bit 0 of `first` set; all 32 words
/// from `x` and from `y` readable): `x`'s count in the low 8 bits of the
/// result, `y`'s in the next 8.
///
/// Where the importing module is compiled for AVX-512 BW: the unused lanes
/// take token 0's value (so they add nothing), and both groups are sorted by
/// one bitonic network (15 min/max steps) side by side, token i of x in the
/// low half and token i of y in the high half of a 32-bit lane, so the two
/// take the same path: one register holds the lower and another the upper
/// lane of each of the 16 pairs a step compares, every min and max does 32
/// useful comparisons, and between steps one two-source 32-bit permute per
/// register lays out the next step's pairs (the table, printed by
/// scripts/sorting-network-layouts from an enumeration of the network; where
/// min and max land encodes each block's direction).
/// The count is 32 less the tokens equal to their predecessor in sorted
/// order. No store, no conflict detection (microcoded on Intel), and half
/// the latency per group of a network over one group (which was bound by
/// it). Elsewhere the reference loop, same result.
static inline __attribute__((always_inline)) uint32_t rb_distinct_tokens_pair(const uint32_t *x, const uint32_t *y, uint16_t first, uint16_t second) {
#if defined(__AVX512BW__) && defined(__AVX512F__)
    static const uint32_t layouts[14][2][16] __attribute__((aligned(64))) = {
        {{0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30}, {17, 1, 19, 3, 21, 5, 23, 7, 25, 9, 27, 11, 29, 13, 31, 15}},
        {{0, 16, 18, 2, 4, 20, 22, 6, 8, 24, 26, 10, 12, 28, 30, 14}, {1, 17, 19, 3, 5, 21, 23, 7, 9, 25, 27, 11, 13, 29, 31, 15}},
        {{0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29}, {18, 2, 19, 3, 22, 6, 23, 7, 26, 10, 27, 11, 30, 14, 31, 15}},
        {{0, 1, 16, 17, 20, 21, 4, 5, 8, 9, 24, 25, 28, 29, 12, 13}, {2, 3, 18, 19, 22, 23, 6, 7, 10, 11, 26, 27, 30, 31, 14, 15}},
        {{0, 16, 2, 18, 20, 4, 22, 6, 8, 24, 10, 26, 28, 12, 30, 14}, {1, 17, 3, 19, 21, 5, 23, 7, 9, 25, 11, 27, 29, 13, 31, 15}},
        {{0, 16, 1, 17, 2, 18, 3, 19, 8, 24, 9, 25, 10, 26, 11, 27}, {20, 4, 21, 5, 22, 6, 23, 7, 28, 12, 29, 13, 30, 14, 31, 15}},
        {{0, 1, 2, 3, 16, 17, 18, 19, 24, 25, 26, 27, 8, 9, 10, 11}, {4, 5, 6, 7, 20, 21, 22, 23, 28, 29, 30, 31, 12, 13, 14, 15}},
        {{0, 1, 16, 17, 4, 5, 20, 21, 24, 25, 8, 9, 28, 29, 12, 13}, {2, 3, 18, 19, 6, 7, 22, 23, 26, 27, 10, 11, 30, 31, 14, 15}},
        {{0, 16, 2, 18, 4, 20, 6, 22, 24, 8, 26, 10, 28, 12, 30, 14}, {1, 17, 3, 19, 5, 21, 7, 23, 25, 9, 27, 11, 29, 13, 31, 15}},
        {{0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23}, {24, 8, 25, 9, 26, 10, 27, 11, 28, 12, 29, 13, 30, 14, 31, 15}},
        {{0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23}, {8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31}},
        {{0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27}, {4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31}},
        {{0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29}, {2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31}},
        {{0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30}, {1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31}},
    };
    __m512i leadX = _mm512_set1_epi32((int)x[0]), leadY = _mm512_set1_epi32((int)y[0]);
    __m512i x0 = _mm512_mask_blend_epi32(first, leadX, _mm512_loadu_si512(x));
    __m512i x1 = _mm512_mask_blend_epi32(second, leadX, _mm512_loadu_si512(x + 16));
    __m512i y0 = _mm512_mask_blend_epi32(first, leadY, _mm512_loadu_si512(y));
    __m512i y1 = _mm512_mask_blend_epi32(second, leadY, _mm512_loadu_si512(y + 16));
    __m512i low = _mm512_or_si512(x0, _mm512_slli_epi32(y0, 16));
    __m512i high = _mm512_or_si512(x1, _mm512_slli_epi32(y1, 16));
    for (int step = 0; step < 14; step++) {
        __m512i lesser = _mm512_min_epu16(low, high), greater = _mm512_max_epu16(low, high);
        low = _mm512_permutex2var_epi32(lesser, _mm512_load_si512(layouts[step][0]), greater);
        high = _mm512_permutex2var_epi32(lesser, _mm512_load_si512(layouts[step][1]), greater);
    }
    __m512i lesser = _mm512_min_epu16(low, high), greater = _mm512_max_epu16(low, high);
    // Sorted: token 2j of each group is lane j of `lesser`, token 2j + 1
    // lane j of `greater` (x in the even 16-bit halves, y in the odd).
    // Compare 2j with 2j + 1, then 2j + 1 with 2j + 2.
    uint32_t inPair = _mm512_cmpeq_epi16_mask(lesser, greater);
    __m512i next = _mm512_alignr_epi32(lesser, lesser, 1);
    uint32_t across = _mm512_cmpeq_epi16_mask(greater, next) & 0x3FFFFFFFu;
    uint32_t dx = 32 - __builtin_popcount(inPair & 0x55555555u) - __builtin_popcount(across & 0x55555555u);
    uint32_t dy = 32 - __builtin_popcount(inPair & 0xAAAAAAAAu) - __builtin_popcount(across & 0xAAAAAAAAu);
    return dx | dy << 8;
#else
    return (uint32_t)rb_distinct_tokens_scalar(x, first, second) | (uint32_t)rb_distinct_tokens_scalar(y, first, second) << 8;
#endif
}

/// The number of distinct tokens of one group (lanes and bounds as in
/// `rb_distinct_tokens_pair`): the group paired with itself where the
/// importing module is compiled for AVX-512 BW, the reference loop elsewhere.
static inline __attribute__((always_inline)) int rb_distinct_tokens(const uint32_t *group, uint16_t first, uint16_t second) {
#if defined(__AVX512BW__) && defined(__AVX512F__)
    return (int)(rb_distinct_tokens_pair(group, group, first, second) & 0xFF);
#else
    return rb_distinct_tokens_scalar(group, first, second);
#endif
}

#if defined(__AVX2__)
/// Batcher's odd-even merge sort for 32 inputs, built recursively (sort
/// 0-15, sort 16-31, merge), so that its first 19 comparators sort 0-7 and
/// its first 63 sort 0-15. Printed and checked by
/// scripts/sorting-network-batcher32.
static const uint8_t rb_batcher32[191][2] = {
    {0, 1}, {2, 3}, {0, 2}, {1, 3}, {1, 2}, {4, 5}, {6, 7}, {4, 6}, {5, 7}, {5, 6}, {0, 4}, {2, 6}, {2, 4}, {1, 5},
    {3, 7}, {3, 5}, {1, 2}, {3, 4}, {5, 6}, {8, 9}, {10, 11}, {8, 10}, {9, 11}, {9, 10}, {12, 13}, {14, 15}, {12, 14},
    {13, 15}, {13, 14}, {8, 12}, {10, 14}, {10, 12}, {9, 13}, {11, 15}, {11, 13}, {9, 10}, {11, 12}, {13, 14}, {0, 8},
    {4, 12}, {4, 8}, {2, 10}, {6, 14}, {6, 10}, {2, 4}, {6, 8}, {10, 12}, {1, 9}, {5, 13}, {5, 9}, {3, 11}, {7, 15},
    {7, 11}, {3, 5}, {7, 9}, {11, 13}, {1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {16, 17},
    {18, 19}, {16, 18}, {17, 19}, {17, 18}, {20, 21}, {22, 23}, {20, 22}, {21, 23}, {21, 22}, {16, 20}, {18, 22},
    {18, 20}, {17, 21}, {19, 23}, {19, 21}, {17, 18}, {19, 20}, {21, 22}, {24, 25}, {26, 27}, {24, 26}, {25, 27},
    {25, 26}, {28, 29}, {30, 31}, {28, 30}, {29, 31}, {29, 30}, {24, 28}, {26, 30}, {26, 28}, {25, 29}, {27, 31},
    {27, 29}, {25, 26}, {27, 28}, {29, 30}, {16, 24}, {20, 28}, {20, 24}, {18, 26}, {22, 30}, {22, 26}, {18, 20},
    {22, 24}, {26, 28}, {17, 25}, {21, 29}, {21, 25}, {19, 27}, {23, 31}, {23, 27}, {19, 21}, {23, 25}, {27, 29},
    {17, 18}, {19, 20}, {21, 22}, {23, 24}, {25, 26}, {27, 28}, {29, 30}, {0, 16}, {8, 24}, {8, 16}, {4, 20},
    {12, 28}, {12, 20}, {4, 8}, {12, 16}, {20, 24}, {2, 18}, {10, 26}, {10, 18}, {6, 22}, {14, 30}, {14, 22}, {6, 10},
    {14, 18}, {22, 26}, {2, 4}, {6, 8}, {10, 12}, {14, 16}, {18, 20}, {22, 24}, {26, 28}, {1, 17}, {9, 25}, {9, 17},
    {5, 21}, {13, 29}, {13, 21}, {5, 9}, {13, 17}, {21, 25}, {3, 19}, {11, 27}, {11, 19}, {7, 23}, {15, 31}, {15, 23},
    {7, 11}, {15, 19}, {23, 27}, {3, 5}, {7, 9}, {11, 13}, {15, 17}, {19, 21}, {23, 25}, {27, 29}, {1, 2}, {3, 4},
    {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {15, 16}, {17, 18}, {19, 20}, {21, 22}, {23, 24}, {25, 26}, {27, 28},
    {29, 30}
};

/// `rb_group_classes16` on `rows` = 8, 16 or 32 rows (K <= rows).
static inline __attribute__((always_inline)) void rb_group_classes16_rows(const uint32_t *tokens, int k,
                                                                          const uint32_t *answers, uint16_t classes[16],
                                                                          const int rows) {
    const int vectors = rows / 8;
    const int comparators = rows == 8 ? 19 : rows == 16 ? 63 : 191;
    // Each prompt's tokens (lanes K..rows-1 replaced by token 0) as 16-bit
    // lanes, in the order an in-lane pack leaves them (the order within a
    // prompt does not matter); the answer compared now.
    __m256i packed[2][16];
    uint16_t drawnLanes[16] __attribute__((aligned(32)));
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int g = 0; g < 16; g++) {
        const uint32_t *group = tokens + g * k;
        __m256i t[4];
        for (int q = 0; q < vectors; q++) { t[q] = _mm256_loadu_si256((const __m256i *)(group + 8 * q)); }
        if (k < rows) {
            __m256i lead = _mm256_set1_epi32((int)group[0]);
            for (int q = 0; q < vectors; q++) {
                __m256i beyond = _mm256_cmpgt_epi32(_mm256_add_epi32(lane, _mm256_set1_epi32(8 * q + 1)), _mm256_set1_epi32(k));
                t[q] = _mm256_blendv_epi8(t[q], lead, beyond);
            }
        }
        if (answers) {
            __m256i a = _mm256_set1_epi32((int)answers[g]);
            __m256i hit = _mm256_cmpeq_epi32(t[0], a);
            for (int q = 1; q < vectors; q++) { hit = _mm256_or_si256(hit, _mm256_cmpeq_epi32(t[q], a)); }
            drawnLanes[g] = (uint16_t)(0 - !_mm256_testz_si256(hit, hit));
        }
        if (rows == 8) {
            // Tokens 0-3 and 4-7 side by side in the low 128 bits.
            packed[0][g] = _mm256_packus_epi32(t[0], _mm256_permute2x128_si256(t[0], t[0], 0x11));
        } else {
            packed[0][g] = _mm256_packus_epi32(t[0], t[1]);
            if (rows == 32) { packed[1][g] = _mm256_packus_epi32(t[2], t[3]); }
        }
    }
    // 16 x 16 transposes of 16-bit lanes: row i of a half holds its i-th
    // lane of the 16 prompts, prompt g in lane g (with 8 rows, the first 8).
    __m256i row[32];
    for (int h = 0; h < (rows + 15) / 16; h++) {
        __m256i a[16], b[16];
        for (int g = 0; g < 16; g += 2) {
            a[g] = _mm256_unpacklo_epi16(packed[h][g], packed[h][g + 1]);
            a[g + 1] = _mm256_unpackhi_epi16(packed[h][g], packed[h][g + 1]);
        }
        for (int g = 0; g < 16; g += 4) {
            for (int j = 0; j < 2; j++) {
                b[g + 2 * j] = _mm256_unpacklo_epi32(a[g + j], a[g + 2 + j]);
                b[g + 2 * j + 1] = _mm256_unpackhi_epi32(a[g + j], a[g + 2 + j]);
            }
        }
        for (int g = 0; g < 16; g += 8) {
            for (int j = 0; j < 4; j++) {
                a[g + 2 * j] = _mm256_unpacklo_epi64(b[g + j], b[g + 4 + j]);
                a[g + 2 * j + 1] = _mm256_unpackhi_epi64(b[g + j], b[g + 4 + j]);
            }
        }
        for (int j = 0; j < 8; j++) {
            row[16 * h + j] = _mm256_permute2x128_si256(a[j], a[8 + j], 0x20);
            if (rows > 8) { row[16 * h + 8 + j] = _mm256_permute2x128_si256(a[j], a[8 + j], 0x31); }
        }
    }
#pragma clang loop unroll(full)
    for (int c = 0; c < comparators; c++) {
        __m256i lower = row[rb_batcher32[c][0]], upper = row[rb_batcher32[c][1]];
        row[rb_batcher32[c][0]] = _mm256_min_epu16(lower, upper);
        row[rb_batcher32[c][1]] = _mm256_max_epu16(lower, upper);
    }
    // cmpeq gives -1 where a row repeats the row before.
    __m256i distinct = _mm256_set1_epi16((short)rows);
    for (int i = 1; i < rows; i++) { distinct = _mm256_add_epi16(distinct, _mm256_cmpeq_epi16(row[i], row[i - 1])); }
    __m256i result = distinct;
    if (answers) {
        result = _mm256_sub_epi16(_mm256_slli_epi16(distinct, 1), _mm256_load_si256((const __m256i *)drawnLanes));
    }
    _mm256_storeu_si256((__m256i *)classes, result);
}
#endif

/// The classes of 16 prompts at once: prompt g's K tokens (1 <= K <= 32,
/// each below 2^16) lie at tokens[g K ..< g K + K], and the 32 words from
/// the start of every prompt are readable; `classes[g]` gets the number M
/// of distinct ones among them, or 2 M + 1{answers[g] is one of them}
/// where `answers` is not null (the group kernels' class index).
///
/// With AVX2 the prompts sit side by side, one per 16-bit lane, so that
/// sorting needs no shuffle: row i holds token i of the 16 prompts (8, 16
/// or 32 rows, the fewest that hold K; rows K and up repeat token 0, which
/// adds no distinct value), Batcher's odd-even merge sort sorts every lane
/// with 16-bit min and max between rows (19, 63 or 191 comparators), and a
/// lane's count is the rows less those equal to the row before. No store
/// per token to a table and no load that may alias one, where the stamps
/// have both. Elsewhere the reference loop; the same classes either way.
static inline __attribute__((always_inline)) void rb_group_classes16(const uint32_t *tokens, int k,
                                                                     const uint32_t *answers, uint16_t classes[16]) {
#if defined(__AVX2__)
    if (k <= 8) {
        rb_group_classes16_rows(tokens, k, answers, classes, 8);
    } else if (k <= 16) {
        rb_group_classes16_rows(tokens, k, answers, classes, 16);
    } else {
        rb_group_classes16_rows(tokens, k, answers, classes, 32);
    }
#else
    // The reference count over the lanes below K.
    const uint16_t first = k >= 16 ? 0xFFFF : (uint16_t)((1u << k) - 1);
    const uint16_t second = k <= 16 ? 0 : (uint16_t)((1u << (k - 16)) - 1);
    for (int g = 0; g < 16; g++) {
        const uint32_t *group = tokens + g * k;
        int m = rb_distinct_tokens_scalar(group, first, second), drawn = 0;
        for (int i = 0; i < k && answers; i++) { drawn |= group[i] == answers[g]; }
        classes[g] = (uint16_t)(answers ? 2 * m + drawn : m);
    }
#endif
}

/// Asks for the cache line at `address` ahead of a load that will need it
/// (a hint: no fault, no result).
static inline __attribute__((always_inline)) void rb_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Eight alias draws (`AliasTable.pick`, lane by lane) from the eight 64-bit
/// words at `words` (unaligned): column = word >> (64 - c), entry =
/// entries[column] (cut-off << c | alias), the column when the coin
/// word & (2^(64-c) - 1) is below the cut-off, else the alias. Both are below
/// 2^63, so the unsigned compare is the scalar pick's sign test. AVX-512
/// gathers the eight entries at once; elsewhere a scalar loop.
static inline __attribute__((always_inline)) void rb_alias_pick8(const void *words, const uint64_t *entries,
                                                                 unsigned columnBits, uint32_t *out) {
#if defined(__AVX512F__)
    __m512i w = _mm512_loadu_si512(words);
    __m128i shift = _mm_cvtsi32_si128((int)(64 - columnBits));
    __m128i bits = _mm_cvtsi32_si128((int)columnBits);
    __m512i column = _mm512_srl_epi64(w, shift);
    __m512i entry = _mm512_i64gather_epi64(column, (const void *)entries, 8);
    __m512i threshold = _mm512_srl_epi64(entry, bits);
    __m512i alias = _mm512_and_si512(entry, _mm512_set1_epi64((long long)~(~0ull << columnBits)));
    __m512i coin = _mm512_and_si512(w, _mm512_set1_epi64((long long)(~0ull >> columnBits)));
    __mmask8 keep = _mm512_cmplt_epu64_mask(coin, threshold);
    __m512i symbol = _mm512_mask_blend_epi64(keep, alias, column);
    _mm256_storeu_si256((__m256i *)out, _mm512_cvtepi64_epi32(symbol));
#else
    for (int i = 0; i < 8; i++) {
        uint64_t word;
        __builtin_memcpy(&word, (const char *)words + 8 * i, 8);
        uint64_t column = word >> (64 - columnBits);
        uint64_t entry = entries[column];
        uint64_t threshold = entry >> columnBits;
        uint64_t alias = entry & ~(~0ull << columnBits);
        out[i] = (uint32_t)((word & (~0ull >> columnBits)) < threshold ? column : alias);
    }
#endif
}

typedef uint64_t rb_u64x4 __attribute__((ext_vector_type(4)));

#if defined(__AVX2__)
/// Per 64-bit lane, the number of set bits of `v` (nibble table and byte
/// sums: AVX2 has no vector popcount).
static inline __attribute__((always_inline)) __m256i rb_lane_ones256(__m256i v) {
    const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                           0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    __m256i low = _mm256_shuffle_epi8(table, _mm256_and_si256(v, nibble));
    __m256i high = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
    return _mm256_sad_epu8(_mm256_add_epi8(low, high), _mm256_setzero_si256());
}
#endif

#if defined(__AVX512BW__) && defined(__AVX512F__)
static inline __attribute__((always_inline)) __m512i rb_lane_ones512(__m512i v) {
    const __m512i table = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
    const __m512i nibble = _mm512_set1_epi8(0x0f);
    __m512i low = _mm512_shuffle_epi8(table, _mm512_and_si512(v, nibble));
    __m512i high = _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble));
    return _mm512_sad_epu8(_mm512_add_epi8(low, high), _mm512_setzero_si512());
}
#endif

/// The per-token counts of 256 tokens (four words per argument): flips
/// |e|, n11 = |x & r|, n10 = |x| - n11 and n01 = |r| - n11, for policy bits
/// x, rewards r and flips e. The four population counts share the vector
/// work and end in one vector (AVX2: four 256-bit counts and a transposing
/// add; AVX-512: two 512-bit counts); elsewhere lane by lane. Exact in
/// every path: each count is at most 256.
static inline __attribute__((always_inline)) rb_u64x4 rb_token_counts(rb_u64x4 x, rb_u64x4 r, rb_u64x4 e) {
    rb_u64x4 xr = x & r;
    rb_u64x4 ones;  // |e|, |x & r|, |x|, |r|
#if defined(__AVX512BW__) && defined(__AVX512F__)
    __m512i first = _mm512_inserti64x4(_mm512_castsi256_si512((__m256i)e), (__m256i)x, 1);
    __m512i second = _mm512_inserti64x4(_mm512_castsi256_si512((__m256i)xr), (__m256i)r, 1);
    __m512i a = rb_lane_ones512(first), b = rb_lane_ones512(second);
    // 128-bit lanes: [e01 xr01] [e23 xr23] [x01 r01] [x23 r23], then
    // [e xr] and [x r] in lanes 0 and 2.
    __m512i pairs = _mm512_add_epi64(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
    __m512i sums = _mm512_add_epi64(pairs, _mm512_shuffle_i64x2(pairs, pairs, _MM_SHUFFLE(2, 3, 0, 1)));
    ones = (rb_u64x4)_mm512_castsi512_si256(_mm512_permutexvar_epi64(_mm512_setr_epi64(0, 1, 4, 5, 0, 1, 4, 5), sums));
#elif defined(__AVX2__)
    __m256i ce = rb_lane_ones256((__m256i)e), cxr = rb_lane_ones256((__m256i)xr);
    __m256i cx = rb_lane_ones256((__m256i)x), cr = rb_lane_ones256((__m256i)r);
    // [e01 xr01 e23 xr23] and [x01 r01 x23 r23], then [e xr x r].
    __m256i flipsAndN11 = _mm256_add_epi64(_mm256_unpacklo_epi64(ce, cxr), _mm256_unpackhi_epi64(ce, cxr));
    __m256i policyAndRewards = _mm256_add_epi64(_mm256_unpacklo_epi64(cx, cr), _mm256_unpackhi_epi64(cx, cr));
    ones = (rb_u64x4)_mm256_add_epi64(_mm256_permute2x128_si256(flipsAndN11, policyAndRewards, 0x20),
                                      _mm256_permute2x128_si256(flipsAndN11, policyAndRewards, 0x31));
#else
    ones = (rb_u64x4){0, 0, 0, 0};
    for (int lane = 0; lane < 4; lane++) {
        ones.x += (uint64_t)__builtin_popcountll(e[lane]);
        ones.y += (uint64_t)__builtin_popcountll(xr[lane]);
        ones.z += (uint64_t)__builtin_popcountll(x[lane]);
        ones.w += (uint64_t)__builtin_popcountll(r[lane]);
    }
#endif
    return ones - (rb_u64x4){0, 0, ones.y, ones.y};
}

/// `rb_deposit_bits` on four words at once: word w of the result holds the
/// low bits of `bits >> shifts[w]` placed at the set bits of `masks[w]`
/// (a shift of 64 or more leaves no bits). With AVX2, one loop over the
/// set bits runs on the eight 32-bit halves of the four words side by side:
/// the low half of word w takes its bits from `shifts[w]`, the high half
/// from `shifts[w]` plus the low half's set bits. For CPUs that run `pdep`
/// in microcode (AMD Zen 1 and 2, where its cost grows with the mask's set
/// bits: tens of cycles for eight). Elsewhere four `rb_deposit_bits`. The
/// same words either way.
///
/// Each step gives the lowest open slot of every half the half's next bit;
/// a step depends on the one before through the open slots (two
/// operations), so the loop is as long as the fullest half. The token
/// kernels' masks hold about 4 set bits a half (a word's undecided lanes
/// after three rounds, Binomial(64, 1/8)), and the first
/// `RB_DEPOSIT_FIXED_STEPS` steps run without a test: a loop exit at a step
/// that varies from call to call is a branch the predictor mostly misses.
/// Ten fixed steps cover a half with probability 0.9988; the loop after
/// them finishes the rest. Zen 2, token workload, same words, alternating
/// runs: the loop alone on whole words 2.55e9 token rewards/s, 16 fixed
/// steps on whole words 2.82e9, 10 on halves 2.93-2.96e9; in a slower spell,
/// medians of six: whole words 2.72e9, halves with 8, 10 and 12 fixed steps
/// 2.79e9, 2.78e9 and 2.76e9.
#define RB_DEPOSIT_FIXED_STEPS 10
static inline __attribute__((always_inline)) rb_u64x4 rb_deposit_bits_by_lanes(uint64_t bits, rb_u64x4 shifts,
                                                                               rb_u64x4 masks) {
#if defined(__AVX2__)
    const __m256i zero = _mm256_setzero_si256();
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i lowHalves = _mm256_set1_epi64x(0xFFFFFFFF);
    __m256i open = (__m256i)masks;
    __m256i lowSlots = rb_lane_ones256(_mm256_and_si256(open, lowHalves));
    __m256i all = _mm256_set1_epi64x((long long)bits);
    __m256i lowSource = _mm256_srlv_epi64(all, (__m256i)shifts);
    __m256i highSource = _mm256_srlv_epi64(all, _mm256_add_epi64((__m256i)shifts, lowSlots));
    __m256i source = _mm256_or_si256(_mm256_and_si256(lowSource, lowHalves), _mm256_slli_epi64(highSource, 32));
    __m256i result = zero;
#pragma clang loop unroll(full)
    for (int step = 0; step < RB_DEPOSIT_FIXED_STEPS; step++) {
        __m256i lowest = _mm256_and_si256(open, _mm256_sub_epi32(zero, open));
        // Bit `step` of each half's bits, spread over the half.
        __m256i taken = _mm256_srai_epi32(_mm256_slli_epi32(source, 31 - step), 31);
        result = _mm256_or_si256(result, _mm256_and_si256(lowest, taken));
        open = _mm256_and_si256(open, _mm256_sub_epi32(open, one));
    }
    source = _mm256_srli_epi32(source, RB_DEPOSIT_FIXED_STEPS);
    while (!_mm256_testz_si256(open, open)) {
        __m256i lowest = _mm256_and_si256(open, _mm256_sub_epi32(zero, open));
        __m256i taken = _mm256_sub_epi32(zero, _mm256_and_si256(source, one));
        result = _mm256_or_si256(result, _mm256_and_si256(lowest, taken));
        source = _mm256_srli_epi32(source, 1);
        open = _mm256_and_si256(open, _mm256_sub_epi32(open, one));
    }
    return (rb_u64x4)result;
#else
    rb_u64x4 result;
    for (int lane = 0; lane < 4; lane++) {
        result[lane] = shifts[lane] >= 64 ? 0 : rb_deposit_bits(bits >> shifts[lane], masks[lane]);
    }
    return result;
#endif
}

#endif
