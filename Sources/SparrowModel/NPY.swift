/// NumPy `.npy` files (format versions 1, 2 and 3), C order.
///
/// Reading accepts float16/32/64, int8..int64, uint8..uint64 and bool in either byte order and converts
/// them as ONNX tensors are converted: floating → float32, integer and bool → int64.
/// Writing produces version 1.0 (2.0 if the header is too long): `<f4` for float32, `<i8` for int64.
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Element kinds a `.npy` descr can name.
    struct Descr {
        enum Kind { case float, signed, unsigned, bool }
        let kind: Kind
        let width: Int
        let bigEndian: Bool

        init(_ text: String) throws {
            let chars = Array(text)
            guard chars.count >= 3, let width = Int(String(chars[2...])) else {
                throw ModelError(.unsupported, "unsupported .npy dtype '\(text)'")
            }
            switch chars[0] {
            case "<", "|", "=": bigEndian = false
            case ">": bigEndian = true
            default: throw ModelError(.unsupported, "unsupported .npy dtype '\(text)'")
            }
            switch (chars[1], width) {
            case ("f", 2), ("f", 4), ("f", 8): kind = .float
            case ("i", 1), ("i", 2), ("i", 4), ("i", 8): kind = .signed
            case ("u", 1), ("u", 2), ("u", 4), ("u", 8): kind = .unsigned
            case ("b", 1): kind = .bool
            default:
                throw ModelError(.unsupported, "unsupported .npy dtype '\(text)' (Sparrow reads float16/32/64, int8..int64, uint8..uint64 and bool)")
            }
            self.width = width
        }
    }

    /// Parses `.npy` bytes.
    public static func decode(_ bytes: [UInt8]) throws -> Tensor {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw ModelError(.malformed, "not a .npy file (bad magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw ModelError(.malformed, ".npy header is truncated") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw ModelError(.unsupported, "unsupported .npy format version \(major).\(bytes[7])")
        }
        guard headerLength <= bytes.count - headerStart else {
            throw ModelError(.malformed, ".npy header claims \(headerLength) bytes but the file has \(bytes.count - headerStart) left")
        }
        let dataStart = headerStart + headerLength
        guard let headerText = String(bytes: bytes[headerStart..<dataStart], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw ModelError(.malformed, ".npy header is not valid text")
        }
        let header = try NPYHeader(headerText)
        let descr = try Descr(header.descr)
        guard !header.fortranOrder else {
            throw ModelError(.unsupported, "Fortran-order .npy arrays are not supported (save with np.ascontiguousarray)")
        }
        let count = try elementCount(header.shape)
        let (needed, overflow) = count.multipliedReportingOverflow(by: descr.width)
        guard !overflow, bytes.count - dataStart == needed else {
            throw ModelError(.malformed, ".npy data holds \(bytes.count - dataStart) bytes, shape \(header.shape) of '\(header.descr)' needs \(overflow ? "too many" : String(needed))")
        }
        return try decodeData(bytes, from: dataStart, count: count, descr: descr, shape: header.shape)
    }

    static func elementCount(_ shape: [Int]) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw ModelError(.malformed, ".npy shape \(shape) has a negative dimension") }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { throw ModelError(.malformed, ".npy shape \(shape) overflows") }
            n = p
        }
        return n
    }

    private static func decodeData(_ bytes: [UInt8], from start: Int, count: Int, descr: Descr,
                                   shape: [Int]) throws -> Tensor {
        try bytes.withUnsafeBytes { buf in
            func bits<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
                let v = buf.loadUnaligned(fromByteOffset: start + i * MemoryLayout<T>.size, as: T.self)
                return descr.bigEndian ? T(bigEndian: v) : T(littleEndian: v)
            }
            switch (descr.kind, descr.width) {
            case (.float, 2):
                return Tensor(shape: shape, floats: (0..<count).map { Tensor.float(fromHalfBits: bits(UInt16.self, $0)) })
            case (.float, 4):
                return Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: bits(UInt32.self, $0)) })
            case (.float, _):
                return Tensor(shape: shape, floats: (0..<count).map { Float(Double(bitPattern: bits(UInt64.self, $0))) })
            case (.bool, _):
                return Tensor(shape: shape, int64s: (0..<count).map { bits(UInt8.self, $0) != 0 ? 1 : 0 })
            case (.signed, 1): return Tensor(shape: shape, int64s: (0..<count).map { Int64(bits(Int8.self, $0)) })
            case (.signed, 2): return Tensor(shape: shape, int64s: (0..<count).map { Int64(bits(Int16.self, $0)) })
            case (.signed, 4): return Tensor(shape: shape, int64s: (0..<count).map { Int64(bits(Int32.self, $0)) })
            case (.signed, _): return Tensor(shape: shape, int64s: (0..<count).map { bits(Int64.self, $0) })
            case (.unsigned, 1): return Tensor(shape: shape, int64s: (0..<count).map { Int64(bits(UInt8.self, $0)) })
            case (.unsigned, 2): return Tensor(shape: shape, int64s: (0..<count).map { Int64(bits(UInt16.self, $0)) })
            case (.unsigned, 4): return Tensor(shape: shape, int64s: (0..<count).map { Int64(bits(UInt32.self, $0)) })
            case (.unsigned, _):
                var values = [Int64]()
                values.reserveCapacity(count)
                for i in 0..<count {
                    guard let v = Int64(exactly: bits(UInt64.self, i)) else {
                        throw ModelError(.unsupported, ".npy uint64 value \(bits(UInt64.self, i)) does not fit in int64")
                    }
                    values.append(v)
                }
                return Tensor(shape: shape, int64s: values)
            }
        }
    }

    /// Serializes a tensor as `.npy` (little-endian, C order), in `element` when given (numpy has no
    /// bfloat16, so BF16 values are written as float32 after rounding).
    public static func encode(_ tensor: Tensor, as element: ElementType? = nil) -> [UInt8] {
        let element = element ?? ElementType(tensor.dataType)
        if element == .bfloat16 { return encode(ElementType.bfloat16.converting(tensor), as: .float32) }
        let descr = descriptor(element)
        let shapeText: String
        switch tensor.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(tensor.shape[0]),)"
        default: shapeText = "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad with spaces and a newline so the data starts on a 64-byte boundary.
        let prefixV1 = magic.count + 2 + 2
        let useV2 = prefixV1 + header.utf8.count + 1 > 65535
        let prefix = useV2 ? magic.count + 2 + 4 : prefixV1
        let total = (prefix + header.utf8.count + 1 + 63) / 64 * 64
        header += String(repeating: " ", count: total - prefix - header.utf8.count - 1) + "\n"
        let length = header.utf8.count

        var out = magic
        out += useV2 ? [2, 0] : [1, 0]
        out += useV2 ? [UInt8(length & 0xff), UInt8(length >> 8 & 0xff), UInt8(length >> 16 & 0xff), UInt8(length >> 24 & 0xff)]
                     : [UInt8(length & 0xff), UInt8(length >> 8)]
        out += Array(header.utf8)
        out += element.littleEndianBytes(tensor)
        return out
    }

    static func descriptor(_ element: ElementType) -> String {
        switch element {
        case .bool: "|b1"
        case .uint8: "|u1"
        case .int8: "|i1"
        case .uint16: "<u2"
        case .int16: "<i2"
        case .uint32: "<u4"
        case .int32: "<i4"
        case .uint64: "<u8"
        case .int64: "<i8"
        case .float16: "<f2"
        case .float32, .bfloat16: "<f4"
        case .float64: "<f8"
        }
    }

    public static func read(path: String) throws -> Tensor {
        try FileIO.decode(path, with: decode)
    }

    public static func write(_ tensor: Tensor, as element: ElementType? = nil, to path: String) throws {
        try FileIO.write(encode(tensor, as: element), to: path)
    }
}
