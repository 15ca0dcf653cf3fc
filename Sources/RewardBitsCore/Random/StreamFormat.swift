/// The version of the random-stream contract: the mapping from (seed,
/// block, spec) to random words and the way the kernels consume them.
///
/// What a stream-format number promises: two runs with the same spec
/// (every `params` entry, including the block size), seed, generator and
/// stream format give bitwise-identical numbers, on any thread count, any
/// kernel copy (portable, AVX2, AVX-512) and any machine. A change that
/// would alter any estimate for a fixed seed bumps the version; results and
/// checkpoints record it (`params.stream_format`), and a checkpoint of
/// another format is refused. The history of the formats is in
/// docs/determinism.md.
public enum StreamFormat {
    public static let version = 4
}
