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

#if defined(__AVX512BW__) && defined(__AVX512F__)
/// One compare-exchange step of a bitonic sorting network over 32 16-bit
/// lanes: every lane meets `partner` (its partner lane's value) and keeps
/// the larger where `takeMax` has its bit, the smaller elsewhere.
static inline __attribute__((always_inline)) __m512i rb_sort_step(__m512i v, __m512i partner, __mmask32 takeMax) {
    return _mm512_mask_max_epu16(_mm512_min_epu16(v, partner), takeMax, v, partner);
}
#endif

/// The number of distinct values among the tokens `group[i]` (each below
/// 2^16) whose lane bit is set: i < 16 in `first` (bit i), 16 <= i < 32 in
/// `second` (bit i - 16). Bit 0 of `first` must be set; all 32 words
/// `group[0..<32]` must be readable.
///
/// Where the importing module is compiled for AVX-512 BW: the unused lanes
/// take token 0's value (so they add nothing), the 32 tokens are packed into
/// 16-bit lanes of one register, sorted there by a bitonic network (15
/// min/max steps, whose partner lanes come from two rotates and three
/// shuffles, the rotates on another port than the shuffles on Intel cores),
/// and the count is 32 less the lanes equal to their left neighbour. No
/// store, no conflict detection (microcoded on Intel). Elsewhere a double
/// loop, same result.
static inline __attribute__((always_inline)) int rb_distinct_tokens(const uint32_t *group, uint16_t first, uint16_t second) {
#if defined(__AVX512BW__) && defined(__AVX512F__)
    __m512i lead = _mm512_set1_epi32((int)group[0]);
    __m512i a = _mm512_mask_blend_epi32(first, lead, _mm512_loadu_si512(group));
    __m512i b = _mm512_mask_blend_epi32(second, lead, _mm512_loadu_si512(group + 16));
    // Order does not matter before a sort: the in-lane pack is the cheap one.
    __m512i v = _mm512_packus_epi32(a, b);
    // Partner lane i ^ d for d = 1, 2, 4, 8, 16.
#define RB_PARTNER_1(x) _mm512_rol_epi32((x), 16)
#define RB_PARTNER_2(x) _mm512_rol_epi64((x), 32)
#define RB_PARTNER_4(x) _mm512_shuffle_epi32((x), (_MM_PERM_ENUM)0x4E)
#define RB_PARTNER_8(x) _mm512_shuffle_i64x2((x), (x), 0xB1)
#define RB_PARTNER_16(x) _mm512_shuffle_i64x2((x), (x), 0x4E)
    // Step (s, d) for s = 2, 4, .., 32 and d = s / 2, .., 1 keeps the max
    // in lane i iff (i & d != 0) != (i & s != 0): blocks of s sorted
    // ascending and descending by turns, then merged. The masks are loaded
    // from memory (a load-port uop), not built in a general register and
    // moved (a shuffle-port uop on Intel, where the shuffles already queue).
    static const __mmask32 masks[15] = {
        0x66666666u, 0x3C3C3C3Cu, 0x5A5A5A5Au, 0x0FF00FF0u, 0x33CC33CCu,
        0x55AA55AAu, 0x00FFFF00u, 0x0F0FF0F0u, 0x3333CCCCu, 0x5555AAAAu,
        0xFFFF0000u, 0xFF00FF00u, 0xF0F0F0F0u, 0xCCCCCCCCu, 0xAAAAAAAAu,
    };
    // Hidden from the optimizer, which would fold the loads back into
    // immediates (and non-const only because `_load_mask32` is declared
    // so; it reads).
    __mmask32 *takeMax = (__mmask32 *)masks;
    __asm__("" : "+r"(takeMax));
    v = rb_sort_step(v, RB_PARTNER_1(v), _load_mask32(takeMax + 0));
    v = rb_sort_step(v, RB_PARTNER_2(v), _load_mask32(takeMax + 1));
    v = rb_sort_step(v, RB_PARTNER_1(v), _load_mask32(takeMax + 2));
    v = rb_sort_step(v, RB_PARTNER_4(v), _load_mask32(takeMax + 3));
    v = rb_sort_step(v, RB_PARTNER_2(v), _load_mask32(takeMax + 4));
    v = rb_sort_step(v, RB_PARTNER_1(v), _load_mask32(takeMax + 5));
    v = rb_sort_step(v, RB_PARTNER_8(v), _load_mask32(takeMax + 6));
    v = rb_sort_step(v, RB_PARTNER_4(v), _load_mask32(takeMax + 7));
    v = rb_sort_step(v, RB_PARTNER_2(v), _load_mask32(takeMax + 8));
    v = rb_sort_step(v, RB_PARTNER_1(v), _load_mask32(takeMax + 9));
    v = rb_sort_step(v, RB_PARTNER_16(v), _load_mask32(takeMax + 10));
    v = rb_sort_step(v, RB_PARTNER_8(v), _load_mask32(takeMax + 11));
    v = rb_sort_step(v, RB_PARTNER_4(v), _load_mask32(takeMax + 12));
    v = rb_sort_step(v, RB_PARTNER_2(v), _load_mask32(takeMax + 13));
    v = rb_sort_step(v, RB_PARTNER_1(v), _load_mask32(takeMax + 14));
#undef RB_PARTNER_1
#undef RB_PARTNER_2
#undef RB_PARTNER_4
#undef RB_PARTNER_8
#undef RB_PARTNER_16
    const __m512i left = _mm512_set_epi16(30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15,
                                          14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0);
    __mmask32 repeats = _mm512_cmpeq_epi16_mask(v, _mm512_permutexvar_epi16(left, v)) & ~(__mmask32)1;
    return 32 - __builtin_popcount(repeats);
#else
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

/// Asks for the cache line at `address` ahead of a load that will need it
/// (a hint: no fault, no result).
static inline __attribute__((always_inline)) void rb_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
