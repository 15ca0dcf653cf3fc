#ifndef REWARDBITS_CMPI_SHIM_H
#define REWARDBITS_CMPI_SHIM_H

#include <mpi.h>

/* MPI's predefined handles are macros (in Open MPI, addresses of globals),
   which Swift cannot import; these return them. */
static inline MPI_Comm rb_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype rb_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype rb_mpi_int(void) { return MPI_INT; }
static inline MPI_Datatype rb_mpi_int64(void) { return MPI_INT64_T; }
static inline int rb_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }

#endif
