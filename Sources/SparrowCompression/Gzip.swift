import CZlib

/// In-memory gzip (deflate with the gzip wrapper), used to compare an artifact against what a
/// general-purpose compressor does with the dense model.
public enum Gzip {
    /// Size of `bytes` after gzip at `level` (0...9), or nil if zlib fails.
    public static func compressedSize(_ bytes: [UInt8], level: Int32 = 9) -> Int? {
        var stream = z_stream()
        // windowBits 15 + 16 selects the gzip wrapper.
        guard sparrow_deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        var status = Z_OK
        bytes.withUnsafeBufferPointer { input in
            var offset = 0
            repeat {
                let chunk = min(input.count - offset, 1 << 30)
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + offset })
                stream.avail_in = uInt(chunk)
                offset += chunk
                let flush = offset == input.count ? Z_FINISH : Z_NO_FLUSH
                repeat {
                    output.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(out.count)
                        status = deflate(&stream, flush)
                        total += out.count - Int(stream.avail_out)
                    }
                } while stream.avail_out == 0 && status != Z_STREAM_ERROR
            } while offset < input.count && status != Z_STREAM_ERROR
        }
        return status == Z_STREAM_END ? total : nil
    }
}
