#ifndef BITOPS_CBITOPS_H
#define BITOPS_CBITOPS_H

// Bit and lane instructions Swift does not expose, as static inline C that
// each importing module compiles with its own instruction set (portable,
// x86-64-v3, x86-64-v4): one header per concern, all prefixed `bitops_`.

#include "bitops_types.h"
#include "bitops_popcount.h"
#include "bitops_deposit.h"
#include "bitops_lanes.h"
#include "bitops_distinct.h"
#include "bitops_batcher32.h"
#include "bitops_group_classes.h"
#include "bitops_alias.h"
#include "bitops_token_counts.h"

#endif
