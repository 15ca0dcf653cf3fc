import Foundation

// rewardbits-mpi ESTIMATE-OR-SWEEP ARGUMENTS...
//
// Rank r of R runs `rewardbits ARGUMENTS --shard r/R` (a contiguous block
// range fixed by the rank alone) with the CPUs the launcher bound it to,
// the ranks' parts (one record per block) are gathered to rank 0 with
// MPI_Gatherv, and rank 0 folds them in block order with `rewardbits merge`:
// the output is what one process prints, bit for bit. Only rank 0 writes to
// stdout. With --checkpoint PREFIX each rank keeps its progress in
// PREFIX.rank-r-of-R (and its finished part in PREFIX.rank-r-of-R.rwb), so a
// killed job submitted again with the same command resumes.

let world = MPIWorld.start()
let code = Launcher(world: world).run(Array(CommandLine.arguments.dropFirst()))
world.finish()
exit(code)
