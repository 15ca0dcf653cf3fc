#ifndef BITOPS_TYPES_H
#define BITOPS_TYPES_H

// The vector types the other headers share.

#include <stdint.h>
#if defined(__BMI2__) || defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

/// Sixteen 32-bit lanes (imported into Swift as SIMD16<UInt32>).
typedef uint32_t bitops_u32x16 __attribute__((ext_vector_type(16)));

/// Four 64-bit lanes (imported into Swift as SIMD4<UInt64>).
typedef uint64_t bitops_u64x4 __attribute__((ext_vector_type(4)));

#endif
