/// The tool's version and the stream format its numbers depend on, written
/// into every JSON object and CSV table.
public enum RewardBitsVersion {
    public static let tool = "0.1.0"

    /// `{"tool": "0.1.0", "stream_format": N}`.
    public static var json: JSONValue {
        .object([("tool", .string(tool)), ("stream_format", .integer(Int64(StreamFormat.version)))])
    }
}
