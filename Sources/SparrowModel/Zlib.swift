import CZlib

/// zlib wrappers for the formats SparrowModel reads: raw deflate (zip members), gzip (IDX .gz),
/// and CRC-32; also the gzip size of a buffer, for comparing artifacts against gzip. Output size is capped so a small corrupt or hostile input cannot exhaust memory.
public enum Zlib {
    /// Default cap on decompressed output: 4 GiB.
    public static let defaultOutputLimit = 1 << 32

    /// Inflates raw deflate data (no zlib or gzip header), as zip archives store it.
    public static func inflateRaw(_ input: [UInt8], expectedSize: Int? = nil,
                                  limit: Int = defaultOutputLimit) throws -> [UInt8] {
        try inflate(input, windowBits: -15, what: "deflate stream", expectedSize: expectedSize, limit: limit)
    }

    /// Decompresses gzip data (a single member or concatenated members).
    public static func gunzip(_ input: [UInt8], limit: Int = defaultOutputLimit) throws -> [UInt8] {
        // 15 + 32: zlib detects the gzip header; members are read until the input ends.
        try inflate(input, windowBits: 15 + 32, what: "gzip data", expectedSize: nil, limit: limit)
    }

    /// True when the bytes start with the gzip magic number 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Compresses to raw deflate (for zip members).
    public static func deflateRaw(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        try deflate(input, windowBits: -15, level: level)
    }

    /// Compresses to a gzip member.
    public static func gzip(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        try deflate(input, windowBits: 15 + 16, level: level)
    }

    /// Size of `input` after gzip at `level` (0...9). Streams the output through a fixed buffer
    /// and only counts it, so a 500 MB model does not need a second copy in memory.
    public static func gzipSize(_ input: [UInt8], level: Int32 = 6) throws -> Int {
        var total = 0
        try deflate(input, windowBits: 15 + 16, level: level) { total += $0.count }
        return total
    }

    /// CRC-32 as zip and gzip use it.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 { crc32(bytes[...]) }

    /// CRC-32 of a slice (e.g. one section of a file), without copying it.
    public static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: uLong = CZlib.crc32(0, nil, 0)
        // zlib takes a 32-bit length; feed large inputs (> 4 GiB) in chunks.
        bytes.withUnsafeBufferPointer { buf in
            var offset = 0
            while offset < buf.count, let base = buf.baseAddress {
                let n = min(buf.count - offset, 1 << 30)
                crc = CZlib.crc32(crc, base + offset, uInt(n))
                offset += n
            }
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    private static func inflate(_ input: [UInt8], windowBits: Int32, what: String, expectedSize: Int?,
                                limit: Int) throws -> [UInt8] {
        var stream = z_stream()
        guard sparrow_inflateInit2(&stream, windowBits) == Z_OK else {
            throw ModelError(.io, "zlib: cannot initialise inflate")
        }
        defer { inflateEnd(&stream) }
        if let expectedSize, expectedSize > limit {
            throw ModelError(.malformed, "\(what) claims \(expectedSize) bytes, more than the limit of \(limit)")
        }
        var output = [UInt8]()
        output.reserveCapacity(min(expectedSize ?? input.count * 4, limit))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        var consumed = 0
        try input.withUnsafeBufferPointer { inBuf in
            while true {
                let available = min(inBuf.count - consumed, Int(UInt32.max))
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress.map { $0 + consumed })
                stream.avail_in = uInt(available)
                let before = Int(stream.avail_in)
                status = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                consumed += before - Int(stream.avail_in)
                let produced = chunk.count - Int(stream.avail_out)
                guard output.count + produced <= limit else {
                    throw ModelError(.malformed, "\(what) inflates to more than \(limit) bytes")
                }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_STREAM_END {
                    // gzip allows several concatenated members; continue if input remains.
                    if windowBits > 15, consumed < inBuf.count {
                        guard inflateReset(&stream) == Z_OK else {
                            throw ModelError(.malformed, "\(what): cannot continue after member end")
                        }
                        continue
                    }
                    break
                }
                guard status == Z_OK || (status == Z_BUF_ERROR && produced > 0) else {
                    if status == Z_BUF_ERROR {
                        throw ModelError(.malformed, "\(what) is truncated")
                    }
                    let detail = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw ModelError(.malformed, "\(what) is corrupt (zlib: \(detail))")
                }
                if produced == 0 && consumed == inBuf.count {
                    throw ModelError(.malformed, "\(what) is truncated")
                }
            }
        }
        if let expectedSize, output.count != expectedSize {
            throw ModelError(.malformed, "\(what) inflates to \(output.count) bytes, expected \(expectedSize)")
        }
        return output
    }

    private static func deflate(_ input: [UInt8], windowBits: Int32, level: Int32) throws -> [UInt8] {
        var output = [UInt8]()
        try deflate(input, windowBits: windowBits, level: level) { output.append(contentsOf: $0) }
        return output
    }

    /// Deflates `input`, handing each piece of output to `sink` (valid only during the call).
    private static func deflate(_ input: [UInt8], windowBits: Int32, level: Int32,
                                sink: (UnsafeBufferPointer<UInt8>) -> Void) throws {
        var stream = z_stream()
        guard sparrow_deflateInit2(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK else {
            throw ModelError(.io, "zlib: cannot initialise deflate")
        }
        defer { deflateEnd(&stream) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var consumed = 0
        try input.withUnsafeBufferPointer { inBuf in
            var status: Int32 = Z_OK
            repeat {
                let available = min(inBuf.count - consumed, Int(UInt32.max))
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress.map { $0 + consumed })
                stream.avail_in = uInt(available)
                let flush = consumed + available == inBuf.count ? Z_FINISH : Z_NO_FLUSH
                status = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    return CZlib.deflate(&stream, flush)
                }
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw ModelError(.io, "zlib: deflate failed (error \(status))")
                }
                consumed += available - Int(stream.avail_in)
                chunk.withUnsafeBufferPointer { sink(UnsafeBufferPointer(rebasing: $0[0..<($0.count - Int(stream.avail_out))])) }
            } while status != Z_STREAM_END
        }
    }
}
