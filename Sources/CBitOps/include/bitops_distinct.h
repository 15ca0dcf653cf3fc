#ifndef BITOPS_DISTINCT_H
#define BITOPS_DISTINCT_H

// Distinct tokens of a group: stamps, and sorting networks over one or two groups.

#include <stdint.h>
#if defined(__BMI2__) || defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

/// Stamps `tokens[0..<count]` with `stamp` in a table of one stamp per
/// symbol and returns how many of them did not carry it yet: the number of
/// distinct tokens when `stamp` is new. Counted without a branch per token:
/// with a concentrated policy repeats are common and unpredictable.
static inline __attribute__((always_inline)) int bitops_stamp_tokens(uint16_t *stamps, const uint32_t *tokens, int count,
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
/// The reference loop; see `bitops_distinct_tokens`.
static inline __attribute__((always_inline)) int bitops_distinct_tokens_scalar(const uint32_t *group, uint16_t first, uint16_t second) {
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
static inline __attribute__((always_inline)) uint32_t bitops_distinct_tokens_pair(const uint32_t *x, const uint32_t *y, uint16_t first, uint16_t second) {
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
    return (uint32_t)bitops_distinct_tokens_scalar(x, first, second) | (uint32_t)bitops_distinct_tokens_scalar(y, first, second) << 8;
#endif
}

/// The number of distinct tokens of one group (lanes and bounds as in
/// `bitops_distinct_tokens_pair`): the group paired with itself where the
/// importing module is compiled for AVX-512 BW, the reference loop elsewhere.
static inline __attribute__((always_inline)) int bitops_distinct_tokens(const uint32_t *group, uint16_t first, uint16_t second) {
#if defined(__AVX512BW__) && defined(__AVX512F__)
    return (int)(bitops_distinct_tokens_pair(group, group, first, second) & 0xFF);
#else
    return bitops_distinct_tokens_scalar(group, first, second);
#endif
}

#endif
