#ifndef REWARDBITS_CGSL_SHIM_H
#define REWARDBITS_CGSL_SHIM_H

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_log.h>
#include <gsl/gsl_math.h>
#include <unistd.h>

// Swift 6 rejects direct references to GSL's mutable C globals (concurrency
// safety), so every global the Swift side needs is read through a function.

/// The null-terminated table of every generator type GSL was built with.
static inline const gsl_rng_type **cgsl_rng_types(void) {
    return gsl_rng_types_setup();
}

/// Column `i` of a preprocessed Walker table: the alias and the cut-off.
static inline size_t cgsl_discrete_alias(const gsl_ran_discrete_t *table, size_t i) {
    return table->A[i];
}
static inline double cgsl_discrete_cutoff(const gsl_ran_discrete_t *table, size_t i) {
    return table->F[i];
}
static inline size_t cgsl_discrete_size(const gsl_ran_discrete_t *table) {
    return table->K;
}

/// One raw draw, through the generator's function pointer (what gsl_rng_get
/// does when GSL is compiled with inlining).
static inline unsigned long cgsl_rng_get(const gsl_rng *r) {
    return (r->type->get)(r->state);
}

#endif
