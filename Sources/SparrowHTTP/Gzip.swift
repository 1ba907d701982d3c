import CZlib

/// gzip (RFC 1952) compression through zlib. Deflate states are large (~260 KiB) and costly to
/// set up, so finished ones are reset and kept in a small pool per level.
enum Gzip {
    struct Failure: Error { let code: Int32 }

    private static let pool = Locked<[Int32: [UnsafeMutablePointer<z_stream>]]>([:])
    private static let poolLimit = 16

    static func compress(_ input: [UInt8], level: Int32 = 6) throws(Failure) -> [UInt8] {
        let stream = try take(level: level)
        var result: Int32 = Z_STREAM_ERROR
        let capacity = Int(deflateBound(stream, uLong(input.count))) + 32
        let output = input.withUnsafeBufferPointer { src in
            [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
                stream.pointee.avail_in = uInt(src.count)
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(buffer.count)
                result = deflate(stream, Z_FINISH)
                count = result == Z_STREAM_END ? Int(stream.pointee.total_out) : 0
            }
        }
        give(stream, level: level, reusable: result == Z_STREAM_END)
        guard result == Z_STREAM_END else { throw Failure(code: result) }
        return output
    }

    private static func take(level: Int32) throws(Failure) -> UnsafeMutablePointer<z_stream> {
        if let stream = pool.withLock({ $0[level]?.popLast() }) { return stream }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 + 16 asks zlib for a gzip wrapper instead of zlib's.
        let status = sparrow_deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else { stream.deallocate(); throw Failure(code: status) }
        return stream
    }

    private static func give(_ stream: UnsafeMutablePointer<z_stream>, level: Int32, reusable: Bool) {
        if reusable && deflateReset(stream) == Z_OK {
            let kept = pool.withLock { pool -> Bool in
                guard pool[level, default: []].count < poolLimit else { return false }
                pool[level, default: []].append(stream)
                return true
            }
            if kept { return }
        }
        deflateEnd(stream)
        stream.deallocate()
    }
}
