import CMPI

/// The MPI calls the launcher makes, all from the main thread (the library is
/// initialised with MPI_THREAD_FUNNELED). Counts and displacements of
/// MPI_Gatherv are C ints, so one gather moves at most 2^31 - 1 bytes.
struct MPIWorld {
    let rank: Int
    let size: Int
    private let comm = rb_mpi_comm_world()

    /// MPI_Init_thread with MPI_THREAD_FUNNELED.
    static func start() -> MPIWorld {
        var provided: Int32 = 0
        MPI_Init_thread(nil, nil, rb_mpi_thread_funneled(), &provided)
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(rb_mpi_comm_world(), &rank)
        MPI_Comm_size(rb_mpi_comm_world(), &size)
        return MPIWorld(rank: Int(rank), size: Int(size))
    }

    func finish() {
        MPI_Finalize()
    }

    /// Every rank's value, on every rank.
    func allGather(_ value: Int32) -> [Int32] {
        var mine = value
        var all = [Int32](repeating: 0, count: size)
        MPI_Allgather(&mine, 1, rb_mpi_int(), &all, 1, rb_mpi_int(), comm)
        return all
    }

    /// Every rank's bytes, in rank order, on rank 0 (nil elsewhere): first
    /// the lengths (MPI_Gather), then the bytes (MPI_Gatherv).
    func gatherToRoot(_ bytes: [UInt8]) -> [[UInt8]]? {
        var length = Int64(bytes.count)
        var lengths = [Int64](repeating: 0, count: size)
        MPI_Gather(&length, 1, rb_mpi_int64(), &lengths, 1, rb_mpi_int64(), 0, comm)
        var counts = [Int32](repeating: 0, count: size)
        var displacements = [Int32](repeating: 0, count: size)
        var total = 0
        if rank == 0 {
            for r in 0..<size {
                counts[r] = Int32(lengths[r])
                displacements[r] = Int32(total)
                total += Int(lengths[r])
            }
        }
        var received = [UInt8](repeating: 0, count: max(total, 1))
        bytes.withUnsafeBufferPointer { send in
            _ = MPI_Gatherv(UnsafeMutableRawPointer(mutating: send.baseAddress), Int32(bytes.count), rb_mpi_byte(),
                            &received, &counts, &displacements, rb_mpi_byte(), 0, comm)
        }
        guard rank == 0 else { return nil }
        return (0..<size).map { r in
            Array(received[Int(displacements[r])..<(Int(displacements[r]) + Int(counts[r]))])
        }
    }
}
