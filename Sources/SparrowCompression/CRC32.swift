import CZlib

/// zlib's CRC-32 (the one gzip and PNG use).
public enum CRC32 {
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer -> UInt32 in
            var crc: uLong = crc32(0, nil, 0)
            var base = buffer.baseAddress
            var left = buffer.count
            while left > 0, let p = base {
                let chunk = min(left, 1 << 30)
                crc = crc32(crc, p, uInt(chunk))
                base = p + chunk
                left -= chunk
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 { checksum(bytes[...]) }
}
