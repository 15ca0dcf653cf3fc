#ifndef BITOPS_ALIAS_H
#define BITOPS_ALIAS_H

// Prefetch and eight alias draws at once (AVX-512 gathers).

#include <stdint.h>
#if defined(__BMI2__) || defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

/// Asks for the cache line at `address` ahead of a load that will need it
/// (a hint: no fault, no result).
static inline __attribute__((always_inline)) void bitops_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Eight alias draws (`AliasTable.pick`, lane by lane) from the eight 64-bit
/// words at `words` (unaligned): column = word >> (64 - c), entry =
/// entries[column] (cut-off << c | alias), the column when the coin
/// word & (2^(64-c) - 1) is below the cut-off, else the alias. Both are below
/// 2^63, so the unsigned compare is the scalar pick's sign test. AVX-512
/// gathers the eight entries at once; elsewhere a scalar loop.
static inline __attribute__((always_inline)) void bitops_alias_pick8(const void *words, const uint64_t *entries,
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

#endif
