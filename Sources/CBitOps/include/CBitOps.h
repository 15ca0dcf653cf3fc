#ifndef REWARDBITS_CBITOPS_H
#define REWARDBITS_CBITOPS_H

#include <stdint.h>
#if defined(__BMI2__)
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

#endif
