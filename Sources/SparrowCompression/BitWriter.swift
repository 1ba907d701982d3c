/// Packs bit fields most-significant-bit first: the first bit written is bit 7 of byte 0.
/// MSB-first order lets the Huffman decoder index its table with the next `maxLength` bits.
public struct BitWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var accumulator: UInt64 = 0
    private var pending = 0
    public private(set) var bitCount = 0

    public init(reservingBits: Int = 0) { bytes.reserveCapacity((reservingBits + 7) / 8) }

    /// Appends the low `width` bits of `value` (width ≤ 32), highest first.
    public mutating func write(_ value: UInt32, width: Int) {
        guard width > 0 else { return }
        accumulator = (accumulator << UInt64(width)) | UInt64(value & UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(width)) - 1))
        pending += width
        bitCount += width
        while pending >= 8 {
            pending -= 8
            bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(pending)))
        }
    }

    /// Flushes the last partial byte, padded with zero bits.
    public mutating func finish() -> [UInt8] {
        if pending > 0 {
            bytes.append(UInt8(truncatingIfNeeded: accumulator << UInt64(8 - pending)))
            pending = 0
        }
        accumulator = 0
        return bytes
    }
}
