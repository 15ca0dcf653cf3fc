#ifndef BITOPS_LANES_H
#define BITOPS_LANES_H

// Lane-wise operations on sixteen 32-bit lanes: conflict detection, compares, blends, multiplies.

#include <stdint.h>
#if defined(__BMI2__) || defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#include "bitops_types.h"


/// The lanes i of `v` equal to some lane j < i with bit j set in `earlier`,
/// as a bit mask (bit i = lane i). One AVX-512 conflict detection and one
/// test where the importing module is compiled for AVX-512 CD; a double
/// loop elsewhere, same result.
static inline __attribute__((always_inline)) uint16_t bitops_lanes_repeating(bitops_u32x16 v, uint16_t earlier) {
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
static inline __attribute__((always_inline)) uint16_t bitops_lanes_equal(bitops_u32x16 a, bitops_u32x16 b) {
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
static inline __attribute__((always_inline)) bitops_u32x16 bitops_select_lanes(uint16_t mask, bitops_u32x16 chosen, bitops_u32x16 otherwise) {
#if defined(__AVX512F__)
    return (bitops_u32x16)_mm512_mask_blend_epi32(mask, (__m512i)otherwise, (__m512i)chosen);
#else
    bitops_u32x16 result = otherwise;
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
static inline __attribute__((always_inline)) bitops_u32x16 bitops_multiply_half(bitops_u32x16 a, uint32_t m, int high) {
#if defined(__AVX512F__)
    const __m512i factor = _mm512_set1_epi64((long long)m);
    const __m512i even = _mm512_mul_epu32((__m512i)a, factor);
    const __m512i odd = _mm512_mul_epu32(_mm512_shuffle_epi32((__m512i)a, (_MM_PERM_ENUM)0xF5), factor);
    const __m512i lanes = high ? _mm512_set_epi32(31, 15, 29, 13, 27, 11, 25, 9, 23, 7, 21, 5, 19, 3, 17, 1)
                               : _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2, 16, 0);
    return (bitops_u32x16)_mm512_permutex2var_epi32(even, lanes, odd);
#else
    bitops_u32x16 r;
    for (int i = 0; i < 16; i++) {
        uint64_t p = (uint64_t)a[i] * m;
        r[i] = (uint32_t)(high ? p >> 32 : p);
    }
    return r;
#endif
}

#endif
