#ifndef BITOPS_TOKEN_COUNTS_H
#define BITOPS_TOKEN_COUNTS_H

// Per-token counts of 256 tokens: population counts that share their vector work.

#include <stdint.h>
#if defined(__BMI2__) || defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#include "bitops_types.h"

#include "bitops_popcount.h"

/// The per-token counts of 256 tokens (four words per argument): flips
/// |e|, n11 = |x & r|, n10 = |x| - n11 and n01 = |r| - n11, for policy bits
/// x, rewards r and flips e. The four population counts share the vector
/// work and end in one vector (AVX2: four 256-bit counts and a transposing
/// add; AVX-512: two 512-bit counts); elsewhere lane by lane. Exact in
/// every path: each count is at most 256.
static inline __attribute__((always_inline)) bitops_u64x4 bitops_token_counts(bitops_u64x4 x, bitops_u64x4 r, bitops_u64x4 e) {
    bitops_u64x4 xr = x & r;
    bitops_u64x4 ones;  // |e|, |x & r|, |x|, |r|
#if defined(__AVX512BW__) && defined(__AVX512F__)
    __m512i first = _mm512_inserti64x4(_mm512_castsi256_si512((__m256i)e), (__m256i)x, 1);
    __m512i second = _mm512_inserti64x4(_mm512_castsi256_si512((__m256i)xr), (__m256i)r, 1);
    __m512i a = bitops_lane_ones512(first), b = bitops_lane_ones512(second);
    // 128-bit lanes: [e01 xr01] [e23 xr23] [x01 r01] [x23 r23], then
    // [e xr] and [x r] in lanes 0 and 2.
    __m512i pairs = _mm512_add_epi64(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
    __m512i sums = _mm512_add_epi64(pairs, _mm512_shuffle_i64x2(pairs, pairs, _MM_SHUFFLE(2, 3, 0, 1)));
    ones = (bitops_u64x4)_mm512_castsi512_si256(_mm512_permutexvar_epi64(_mm512_setr_epi64(0, 1, 4, 5, 0, 1, 4, 5), sums));
#elif defined(__AVX2__)
    __m256i ce = bitops_lane_ones256((__m256i)e), cxr = bitops_lane_ones256((__m256i)xr);
    __m256i cx = bitops_lane_ones256((__m256i)x), cr = bitops_lane_ones256((__m256i)r);
    // [e01 xr01 e23 xr23] and [x01 r01 x23 r23], then [e xr x r].
    __m256i flipsAndN11 = _mm256_add_epi64(_mm256_unpacklo_epi64(ce, cxr), _mm256_unpackhi_epi64(ce, cxr));
    __m256i policyAndRewards = _mm256_add_epi64(_mm256_unpacklo_epi64(cx, cr), _mm256_unpackhi_epi64(cx, cr));
    ones = (bitops_u64x4)_mm256_add_epi64(_mm256_permute2x128_si256(flipsAndN11, policyAndRewards, 0x20),
                                      _mm256_permute2x128_si256(flipsAndN11, policyAndRewards, 0x31));
#else
    ones = (bitops_u64x4){0, 0, 0, 0};
    for (int lane = 0; lane < 4; lane++) {
        ones.x += (uint64_t)__builtin_popcountll(e[lane]);
        ones.y += (uint64_t)__builtin_popcountll(xr[lane]);
        ones.z += (uint64_t)__builtin_popcountll(x[lane]);
        ones.w += (uint64_t)__builtin_popcountll(r[lane]);
    }
#endif
    return ones - (bitops_u64x4){0, 0, ones.y, ones.y};
}

#endif
