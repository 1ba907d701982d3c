import CZlib
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

extension Gzip {
    /// Why a compressed body could not be decoded.
    enum InflateFailure: Error, Equatable {
        /// Not gzip, zlib or raw deflate data, truncated, or followed by other bytes.
        case corrupt
        /// The decoded bytes would exceed the limit.
        case tooLarge
    }

    /// Decodes a gzip (RFC 1952, members back to back), zlib (RFC 1950, what HTTP's "deflate"
    /// names) or raw deflate (RFC 1951, what some clients send as "deflate") body in 64 KiB steps,
    /// handing each decoded piece to `sink` and stopping as soon as more than `limit` bytes come out:
    /// a small body cannot expand into unbounded memory or disk.
    /// The format is told by the first two bytes: a gzip or zlib header, else raw deflate.
    static func inflate(_ input: HTTPRequest.Body, limit: Int,
                        into sink: (UnsafeBufferPointer<UInt8>) throws(HTTPError) -> Void) throws -> Int {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        var windowBits: Int32?  // set, and the stream initialised, from the first chunk
        defer {
            if windowBits != nil { inflateEnd(stream) }
            stream.deallocate()
        }
        let output = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 64 * 1024)
        defer { output.deallocate() }
        var produced = 0
        var ended = false
        try input.forEachChunk { chunk throws in
            if windowBits == nil {
                let bits: Int32 = looksLikeGzipOrZlib(chunk) ? 15 + 32 : -15  // 15 + 32: either, by header
                guard sparrow_inflateInit2(stream, bits) == Z_OK else { throw InflateFailure.corrupt }
                windowBits = bits
            }
            var offset = 0
            while offset < chunk.count {
                if ended {
                    // Another gzip member may follow; anything else after the end is an error.
                    guard windowBits == 15 + 32, inflateReset(stream) == Z_OK else { throw InflateFailure.corrupt }
                    ended = false
                }
                let (status, consumed, written) = step(stream, chunk, from: offset, into: output)
                offset += consumed
                produced += written
                guard produced <= limit else { throw InflateFailure.tooLarge }
                if written > 0 { try sink(UnsafeBufferPointer(rebasing: output[0..<written])) }
                switch status {
                case Z_STREAM_END: ended = true
                case Z_OK: break
                case Z_BUF_ERROR where consumed == 0 && written == 0: throw InflateFailure.corrupt
                case Z_BUF_ERROR: break
                default: throw InflateFailure.corrupt
                }
            }
        }
        guard windowBits != nil else { throw InflateFailure.corrupt }  // no bytes at all
        // Drain what zlib still holds for the last input.
        while !ended {
            let (status, _, written) = step(stream, UnsafeBufferPointer(start: nil, count: 0), from: 0, into: output)
            produced += written
            guard produced <= limit else { throw InflateFailure.tooLarge }
            if written > 0 { try sink(UnsafeBufferPointer(rebasing: output[0..<written])) }
            if status == Z_STREAM_END { ended = true } else if written == 0 { throw InflateFailure.corrupt }
        }
        return produced
    }

    private static func step(_ stream: UnsafeMutablePointer<z_stream>, _ chunk: UnsafeBufferPointer<UInt8>, from offset: Int,
                             into output: UnsafeMutableBufferPointer<UInt8>) -> (status: Int32, consumed: Int, written: Int) {
        let available = chunk.count - offset
        stream.pointee.next_in = available > 0 ? UnsafeMutablePointer(mutating: chunk.baseAddress! + offset) : nil
        stream.pointee.avail_in = uInt(available)
        stream.pointee.next_out = output.baseAddress
        stream.pointee.avail_out = uInt(output.count)
        let status = CZlib.inflate(stream, Z_NO_FLUSH)
        return (status, available - Int(stream.pointee.avail_in), output.count - Int(stream.pointee.avail_out))
    }
}

extension HTTPRequest.Body {
    /// Calls `body` with the bytes in pieces of at most 64 KiB (a spooled file is read, not loaded).
    func forEachChunk(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        switch self {
        case .none: return
        case .memory(let bytes):
            try bytes.withUnsafeBufferPointer { all in
                var offset = 0
                while offset < all.count {
                    let end = min(all.count, offset + 64 * 1024)
                    try body(UnsafeBufferPointer(rebasing: all[offset..<end]))
                    offset = end
                }
            }
        case .file(let path, _):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw HTTPError(.internalServerError, "spooled request body is gone") }
            defer { close(fd) }
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 64 * 1024)
            defer { buffer.deallocate() }
            while true {
                let n = read(fd, buffer.baseAddress, buffer.count)
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw HTTPError(.internalServerError, "cannot read the spooled request body") }
                if n == 0 { return }
                try body(UnsafeBufferPointer(rebasing: buffer[0..<n]))
            }
        }
    }

}

extension Gzip {
    /// Whether `chunk` starts with a gzip header (1f 8b) or a zlib one (deflate method, header
    /// check a multiple of 31); raw deflate has neither.
    static func looksLikeGzipOrZlib(_ chunk: UnsafeBufferPointer<UInt8>) -> Bool {
        guard chunk.count >= 2 else { return false }
        let gzip = chunk[0] == 0x1f && chunk[1] == 0x8b
        let zlib = chunk[0] & 0x0f == 8 && (UInt16(chunk[0]) << 8 | UInt16(chunk[1])) % 31 == 0
        return gzip || zlib
    }
}
