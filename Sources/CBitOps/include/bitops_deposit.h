#ifndef BITOPS_DEPOSIT_H
#define BITOPS_DEPOSIT_H

// Bit deposit (BMI2 pdep), one word or four at a time.

#include <stdint.h>
#if defined(__BMI2__) || defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#include "bitops_types.h"
#include "bitops_popcount.h"

/// The low bits of `bits`, one by one, placed at the set bits of `mask`
/// counting up from bit 0 (BMI2 `pdep`). Bits beyond popcount(mask) are
/// ignored. One instruction where the importing module is compiled for BMI2
/// (x86-64-v3 and up); a loop over the set bits elsewhere, same result.
static inline __attribute__((always_inline)) uint64_t bitops_deposit_bits(uint64_t bits, uint64_t mask) {
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

/// `bitops_deposit_bits` on four words at once: word w of the result holds the
/// low bits of `bits >> shifts[w]` placed at the set bits of `masks[w]`
/// (a shift of 64 or more leaves no bits). With AVX2, one loop over the
/// set bits runs on the eight 32-bit halves of the four words side by side:
/// the low half of word w takes its bits from `shifts[w]`, the high half
/// from `shifts[w]` plus the low half's set bits. For CPUs that run `pdep`
/// in microcode (AMD Zen 1 and 2, where its cost grows with the mask's set
/// bits: tens of cycles for eight). Elsewhere four `bitops_deposit_bits`. The
/// same words either way.
///
/// Each step gives the lowest open slot of every half the half's next bit;
/// a step depends on the one before through the open slots (two
/// operations), so the loop is as long as the fullest half. The token
/// kernels' masks hold about 4 set bits a half (a word's undecided lanes
/// after three rounds, Binomial(64, 1/8)), and the first
/// `BITOPS_DEPOSIT_FIXED_STEPS` steps run without a test: a loop exit at a step
/// that varies from call to call is a branch the predictor mostly misses.
/// Ten fixed steps cover a half with probability 0.9988; the loop after
/// them finishes the rest. Halves with fixed steps beat the loop alone and
/// whole words on a Zen 2 (bench-results/canonical.md has the runs).
#define BITOPS_DEPOSIT_FIXED_STEPS 10
static inline __attribute__((always_inline)) bitops_u64x4 bitops_deposit_bits_by_lanes(uint64_t bits, bitops_u64x4 shifts,
                                                                                       bitops_u64x4 masks) {
#if defined(__AVX2__)
    const __m256i zero = _mm256_setzero_si256();
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i lowHalves = _mm256_set1_epi64x(0xFFFFFFFF);
    __m256i open = (__m256i)masks;
    __m256i lowSlots = bitops_lane_ones256(_mm256_and_si256(open, lowHalves));
    __m256i all = _mm256_set1_epi64x((long long)bits);
    __m256i lowSource = _mm256_srlv_epi64(all, (__m256i)shifts);
    __m256i highSource = _mm256_srlv_epi64(all, _mm256_add_epi64((__m256i)shifts, lowSlots));
    __m256i source = _mm256_or_si256(_mm256_and_si256(lowSource, lowHalves), _mm256_slli_epi64(highSource, 32));
    __m256i result = zero;
#pragma clang loop unroll(full)
    for (int step = 0; step < BITOPS_DEPOSIT_FIXED_STEPS; step++) {
        __m256i lowest = _mm256_and_si256(open, _mm256_sub_epi32(zero, open));
        // Bit `step` of each half's bits, spread over the half.
        __m256i taken = _mm256_srai_epi32(_mm256_slli_epi32(source, 31 - step), 31);
        result = _mm256_or_si256(result, _mm256_and_si256(lowest, taken));
        open = _mm256_and_si256(open, _mm256_sub_epi32(open, one));
    }
    source = _mm256_srli_epi32(source, BITOPS_DEPOSIT_FIXED_STEPS);
    while (!_mm256_testz_si256(open, open)) {
        __m256i lowest = _mm256_and_si256(open, _mm256_sub_epi32(zero, open));
        __m256i taken = _mm256_sub_epi32(zero, _mm256_and_si256(source, one));
        result = _mm256_or_si256(result, _mm256_and_si256(lowest, taken));
        source = _mm256_srli_epi32(source, 1);
        open = _mm256_and_si256(open, _mm256_sub_epi32(open, one));
    }
    return (bitops_u64x4)result;
#else
    bitops_u64x4 result;
    for (int lane = 0; lane < 4; lane++) {
        result[lane] = shifts[lane] >= 64 ? 0 : bitops_deposit_bits(bits >> shifts[lane], masks[lane]);
    }
    return result;
#endif
}


#endif
