#ifndef REWARDBITS_CBITOPS_H
#define REWARDBITS_CBITOPS_H

#include <stdint.h>
#if defined(__BMI2__) || defined(__AVX512F__)
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

/// Asks for the cache line at `address` ahead of a load that will need it
/// (a hint: no fault, no result).
static inline __attribute__((always_inline)) void rb_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
