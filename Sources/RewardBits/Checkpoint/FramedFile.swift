import Foundation

/// The frame checkpoints and shard parts share: a magic line, an 8-byte
/// header length, the header (JSON), the body, and an FNV-1a checksum of
/// everything before it (integers little-endian).
enum FramedFile {
    enum Failure: Error {
        /// Too short, or another magic line: not this kind of file.
        case foreign
        case checksum
        case truncatedHeader
        case unreadableHeader
    }

    static func bytes(magic: [UInt8], header: JSONValue, body: [UInt8]) -> [UInt8] {
        let headerBytes = Array(header.serialized().utf8)
        var writer = BinaryWriter()
        writer.write(UInt64(headerBytes.count))
        var bytes = magic + writer.bytes + headerBytes + body
        writer = BinaryWriter()
        writer.write(FNV1a.hash(bytes))
        bytes += writer.bytes
        return bytes
    }

    /// The header and a reader at the start of the body; `minimumBody` bytes
    /// of body at least.
    static func open(_ bytes: [UInt8], magic: [UInt8], minimumBody: Int = 0) throws(Failure)
        -> (header: [String: Any], body: BinaryReader) {
        guard bytes.count >= magic.count + 16 + minimumBody, Array(bytes.prefix(magic.count)) == magic else {
            throw .foreign
        }
        let framed = Array(bytes.dropLast(8))
        var tail = BinaryReader(Array(bytes.suffix(8)))
        guard (try? tail.readUInt64()) == FNV1a.hash(framed) else { throw .checksum }
        var cursor = BinaryReader(Array(framed.dropFirst(magic.count)))
        guard let headerLength = try? cursor.readInt(), headerLength >= 0,
              cursor.offset + headerLength <= cursor.bytes.count else { throw .truncatedHeader }
        let headerData = Data(cursor.bytes[cursor.offset..<(cursor.offset + headerLength)])
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw .unreadableHeader
        }
        return (header, BinaryReader(Array(cursor.bytes[(cursor.offset + headerLength)...])))
    }
}
