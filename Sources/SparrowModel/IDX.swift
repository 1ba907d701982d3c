/// IDX files, the format of the MNIST distribution: `00 00 TYPE RANK`, RANK big-endian uint32
/// dimensions, then big-endian data. Plain or gzip-compressed (detected by the 1f 8b magic).
///
/// Values are returned unscaled: uint8/int8/int16/int32 as int64, float32/float64 as float32.
/// (`Dataset` is where MNIST pixels are scaled to 0...1.)
public enum IDX {
    enum ElementType: UInt8 {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0b, int32 = 0x0c, float32 = 0x0d, float64 = 0x0e

        var width: Int {
            switch self {
            case .uint8, .int8: return 1
            case .int16: return 2
            case .int32, .float32: return 4
            case .float64: return 8
            }
        }
    }

    /// Parses IDX bytes (gzip-compressed or not).
    public static func decode(_ input: [UInt8]) throws -> Tensor {
        let bytes = Zlib.isGzip(input) ? try Zlib.gunzip(input) : input
        let r = ByteReader(bytes: bytes, what: "IDX file")
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
            throw ModelError(.malformed, "not an IDX file (bad magic)")
        }
        guard let type = ElementType(rawValue: bytes[2]) else {
            throw ModelError(.malformed, "IDX file has unknown element type 0x\(String(bytes[2], radix: 16))")
        }
        let rank = Int(bytes[3])
        var shape: [Int] = []
        var count = 1
        for k in 0..<rank {
            let d = Int(try r.be(4 + 4 * k, 4))
            shape.append(d)
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw ModelError(.malformed, "IDX dimensions \(shape) overflow") }
            count = p
        }
        let start = 4 + 4 * rank
        let (needed, o) = count.multipliedReportingOverflow(by: type.width)
        guard !o, bytes.count - start == needed else {
            throw ModelError(.malformed, "IDX data holds \(bytes.count - start) bytes, dimensions \(shape) need \(o ? "too many" : String(needed))")
        }
        return bytes.withUnsafeBytes { buf in
            func be<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
                T(bigEndian: buf.loadUnaligned(fromByteOffset: start + i * MemoryLayout<T>.size, as: T.self))
            }
            switch type {
            case .uint8: return Tensor(shape: shape, int64s: (0..<count).map { Int64(bytes[start + $0]) })
            case .int8: return Tensor(shape: shape, int64s: (0..<count).map { Int64(Int8(bitPattern: bytes[start + $0])) })
            case .int16: return Tensor(shape: shape, int64s: (0..<count).map { Int64(be(Int16.self, $0)) })
            case .int32: return Tensor(shape: shape, int64s: (0..<count).map { Int64(be(Int32.self, $0)) })
            case .float32: return Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: be(UInt32.self, $0)) })
            case .float64: return Tensor(shape: shape, floats: (0..<count).map { Float(Double(bitPattern: be(UInt64.self, $0))) })
            }
        }
    }

    /// Serializes an int64 tensor as uint8 IDX (values must be 0...255) or a float32 tensor as float32 IDX.
    public static func encode(_ tensor: Tensor) throws -> [UInt8] {
        guard tensor.rank < 256, tensor.shape.allSatisfy({ $0 <= Int(UInt32.max) }) else {
            throw ModelError(.invalid, "IDX cannot hold shape \(tensor.shape)")
        }
        var out: [UInt8] = [0, 0, tensor.dataType == .float32 ? ElementType.float32.rawValue : ElementType.uint8.rawValue,
                            UInt8(tensor.rank)]
        for d in tensor.shape { withUnsafeBytes(of: UInt32(d).bigEndian) { out.append(contentsOf: $0) } }
        switch tensor.storage {
        case .float32(let values):
            for v in values { withUnsafeBytes(of: v.bitPattern.bigEndian) { out.append(contentsOf: $0) } }
        case .int64(let values):
            for v in values {
                guard let byte = UInt8(exactly: v) else { throw ModelError(.invalid, "IDX uint8 cannot hold \(v)") }
                out.append(byte)
            }
        }
        return out
    }

    public static func read(path: String) throws -> Tensor {
        try FileIO.decode(path, with: decode)
    }
}
