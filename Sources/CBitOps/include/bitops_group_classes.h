#ifndef BITOPS_GROUP_CLASSES_H
#define BITOPS_GROUP_CLASSES_H

// The classes of sixteen prompts at once, one prompt per 16-bit lane (AVX2).

#include <stdint.h>
#if defined(__BMI2__) || defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#if defined(__AVX2__)
#include "bitops_batcher32.h"

/// `bitops_group_classes16` on `rows` = 8, 16 or 32 rows (K <= rows).
static inline __attribute__((always_inline)) void bitops_group_classes16_rows(const uint32_t *tokens, int k,
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
        __m256i lower = row[bitops_batcher32[c][0]], upper = row[bitops_batcher32[c][1]];
        row[bitops_batcher32[c][0]] = _mm256_min_epu16(lower, upper);
        row[bitops_batcher32[c][1]] = _mm256_max_epu16(lower, upper);
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
static inline __attribute__((always_inline)) void bitops_group_classes16(const uint32_t *tokens, int k,
                                                                         const uint32_t *answers, uint16_t classes[16]) {
#if defined(__AVX2__)
    if (k <= 8) {
        bitops_group_classes16_rows(tokens, k, answers, classes, 8);
    } else if (k <= 16) {
        bitops_group_classes16_rows(tokens, k, answers, classes, 16);
    } else {
        bitops_group_classes16_rows(tokens, k, answers, classes, 32);
    }
#else
    // The reference count over the lanes below K.
    const uint16_t first = k >= 16 ? 0xFFFF : (uint16_t)((1u << k) - 1);
    const uint16_t second = k <= 16 ? 0 : (uint16_t)((1u << (k - 16)) - 1);
    for (int g = 0; g < 16; g++) {
        const uint32_t *group = tokens + g * k;
        int m = bitops_distinct_tokens_scalar(group, first, second), drawn = 0;
        for (int i = 0; i < k && answers; i++) { drawn |= group[i] == answers[g]; }
        classes[g] = (uint16_t)(answers ? 2 * m + drawn : m);
    }
#endif
}

#endif
