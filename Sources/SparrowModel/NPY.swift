/// NumPy `.npy` files (format versions 1, 2 and 3), C order.
///
/// Reading accepts float16/32/64, int8..int64, uint8..uint64 and bool in either byte order and converts
/// them as ONNX tensors are converted (`ElementType`): floating → float32, integer and bool → int64.
/// Writing produces version 1.0 (2.0 if the header is too long), in a given element type.
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The numpy dtypes Sparrow reads and writes: (element type, kind character, byte width).
    static let dtypes: [(element: ElementType, kind: Character, width: Int)] = [
        (.bool, "b", 1), (.uint8, "u", 1), (.int8, "i", 1), (.uint16, "u", 2), (.int16, "i", 2),
        (.uint32, "u", 4), (.int32, "i", 4), (.uint64, "u", 8), (.int64, "i", 8),
        (.float16, "f", 2), (.float32, "f", 4), (.float64, "f", 8),
    ]

    /// A `.npy` descr such as `<f4`: the element type and its byte order.
    struct Descr {
        let element: ElementType
        let bigEndian: Bool
        var width: Int { element.byteWidth }

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
            guard let match = NPY.dtypes.first(where: { $0.kind == chars[1] && $0.width == width }) else {
                throw ModelError(.unsupported, "unsupported .npy dtype '\(text)' (Sparrow reads float16/32/64, int8..int64, uint8..uint64 and bool)")
            }
            element = match.element
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
        let range = start..<(start + count * descr.width)
        guard descr.bigEndian && descr.width > 1 else {
            return try bytes.withUnsafeBytes {
                try descr.element.decodeLittleEndian(UnsafeRawBufferPointer(rebasing: $0[range]), shape: shape, what: ".npy")
            }
        }
        // Big-endian data is byte-swapped into a copy first; little-endian data is read in place.
        var data = Array(bytes[range])
        for i in stride(from: 0, to: data.count, by: descr.width) { data[i..<(i + descr.width)].reverse() }
        return try data.withUnsafeBytes { try descr.element.decodeLittleEndian($0, shape: shape, what: ".npy") }
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
        let dtype = dtypes.first { $0.element == element } ?? (.float32, "f", 4)  // bfloat16: written as float32
        return (dtype.width == 1 ? "|" : "<") + String(dtype.kind) + String(dtype.width)
    }

    public static func read(path: String) throws -> Tensor {
        try FileIO.decode(path, with: decode)
    }

    public static func write(_ tensor: Tensor, as element: ElementType? = nil, to path: String) throws {
        try FileIO.write(encode(tensor, as: element), to: path)
    }
}
