/// A bounds-checked little-endian cursor over one section of an artifact. Every read checks the
/// remaining length first, so no count from the file is trusted before it is compared to the bytes
/// that are actually there.
struct ByteReader {
    let bytes: [UInt8]
    let section: String
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], range: Range<Int>, section: String) {
        self.bytes = bytes
        self.section = section
        offset = range.lowerBound
        end = range.upperBound
    }

    var remaining: Int { end - offset }

    func fail(_ message: String) -> CompressionError { .malformedArtifact(section: section, message: message) }

    mutating func need(_ n: Int, _ what: String) throws(CompressionError) {
        guard n >= 0, n <= remaining else {
            throw fail("truncated: \(what) needs \(n) bytes at offset \(offset), only \(remaining) left")
        }
    }

    mutating func uint(_ width: Int, _ what: String) throws(CompressionError) -> UInt64 {
        try need(width, what)
        var v: UInt64 = 0
        for i in 0..<width { v |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
        offset += width
        return v
    }

    mutating func u8(_ what: String) throws(CompressionError) -> Int { Int(try uint(1, what)) }
    mutating func u16(_ what: String) throws(CompressionError) -> Int { Int(try uint(2, what)) }
    mutating func u32(_ what: String) throws(CompressionError) -> UInt32 { UInt32(try uint(4, what)) }
    mutating func u64(_ what: String) throws(CompressionError) -> UInt64 { try uint(8, what) }

    /// A u64 that must lie in `range` (checked before it is used as a count or size).
    mutating func count(_ what: String, max: Int) throws(CompressionError) -> Int {
        let v = try u64(what)
        guard v <= UInt64(max) else { throw fail("\(what) \(v) exceeds the limit \(max)") }
        return Int(v)
    }

    mutating func f32(_ what: String) throws(CompressionError) -> Float { Float(bitPattern: try u32(what)) }

    mutating func take(_ n: Int, _ what: String) throws(CompressionError) -> [UInt8] {
        try need(n, what)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }
}

/// Little-endian appends for the writer.
extension Array where Element == UInt8 {
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        var x = v.littleEndian
        Swift.withUnsafeBytes(of: &x) { append(contentsOf: $0) }
    }
}
