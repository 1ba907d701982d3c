/// Reads bit fields most-significant-bit first from a byte buffer, never past `bitCount`.
public struct BitReader {
    private let bytes: [UInt8]
    public let bitCount: Int
    public private(set) var position = 0

    /// `bitCount` must not exceed `bytes.count * 8`; callers check that against the file.
    public init(bytes: [UInt8], bitCount: Int) {
        self.bytes = bytes
        self.bitCount = min(bitCount, bytes.count * 8)
    }

    public var remaining: Int { bitCount - position }

    /// The next `width` bits (≤ 32) without consuming them; bits past the end read as zero.
    @inline(__always)
    public func peek(_ width: Int) -> UInt32 {
        let byteIndex = position >> 3
        var value: UInt64
        if byteIndex + 8 <= bytes.count {
            // Fast path: one unaligned big-endian load.
            value = bytes.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: byteIndex, as: UInt64.self)) }
        } else {
            // Near the end: assemble byte by byte, zeros past the end.
            value = 0
            for i in 0..<8 {
                value <<= 8
                if byteIndex + i < bytes.count { value |= UInt64(bytes[byteIndex + i]) }
            }
        }
        value <<= UInt64(position & 7)
        return UInt32(truncatingIfNeeded: value >> UInt64(64 - width))
    }

    @inline(__always)
    public mutating func skip(_ width: Int) { position += width }

    /// Reads `width` bits; throws if fewer remain.
    public mutating func read(_ width: Int) throws(CompressionError) -> UInt32 {
        guard width <= remaining else {
            throw .corruptStream("bit stream ends after \(bitCount) bits, needed \(width) more at bit \(position)")
        }
        let value = peek(width)
        position += width
        return value
    }
}
