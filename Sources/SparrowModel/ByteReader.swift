/// Bounds-checked reads of fixed-width integers from a byte array. Every read past the end throws
/// a `ModelError` naming `what` (the file kind), so parsers never trap on truncated input.
struct ByteReader {
    let bytes: [UInt8]
    let what: String

    func require(_ offset: Int, _ length: Int) throws {
        guard offset >= 0, length >= 0, offset <= bytes.count, length <= bytes.count - offset else {
            throw ModelError(.malformed, "\(what) is truncated (needs \(length) bytes at offset \(offset), has \(bytes.count))")
        }
    }

    func slice(_ offset: Int, _ length: Int) throws -> ArraySlice<UInt8> {
        try require(offset, length)
        return bytes[offset..<(offset + length)]
    }

    /// Little-endian unsigned integer of `width` bytes.
    func le(_ offset: Int, _ width: Int) throws -> UInt64 {
        try require(offset, width)
        var v: UInt64 = 0
        for k in stride(from: width - 1, through: 0, by: -1) { v = v << 8 | UInt64(bytes[offset + k]) }
        return v
    }

    /// Big-endian unsigned integer of `width` bytes.
    func be(_ offset: Int, _ width: Int) throws -> UInt64 {
        try require(offset, width)
        var v: UInt64 = 0
        for k in 0..<width { v = v << 8 | UInt64(bytes[offset + k]) }
        return v
    }

    func u16(_ offset: Int) throws -> Int { Int(try le(offset, 2)) }
    func u32(_ offset: Int) throws -> Int { Int(try le(offset, 4)) }
    /// A 64-bit little-endian count or offset, rejected if it cannot be an offset in this array.
    func u64(_ offset: Int) throws -> Int {
        let v = try le(offset, 8)
        guard v <= UInt64(bytes.count) else {
            throw ModelError(.malformed, "\(what) has an out-of-range 64-bit size or offset \(v)")
        }
        return Int(v)
    }
}
