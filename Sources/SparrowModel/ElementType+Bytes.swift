/// Little-endian element bytes, as ONNX `raw_data` and the Open Inference Protocol's binary
/// tensors lay them out.
extension ElementType {
    /// Decodes `Tensor.count(of: shape)` elements from the start of `raw`, which must hold at
    /// least that many. A uint64 above Int64.max is refused: Sparrow computes in int64.
    public func decodeLittleEndian(_ raw: UnsafeRawBufferPointer, shape: [Int], what: String) throws -> Tensor {
        let count = Tensor.count(of: shape)
        precondition(raw.count >= count * byteWidth, "\(what): \(raw.count) bytes cannot hold \(count) \(rawValue)")
        func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            T(littleEndian: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
        }
        switch self {
        case .float32: return Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: load(UInt32.self, $0)) })
        case .float64: return Tensor(shape: shape, floats: (0..<count).map { Float(Double(bitPattern: load(UInt64.self, $0))) })
        case .float16: return Tensor(shape: shape, floats: (0..<count).map { Float(Float16(bitPattern: load(UInt16.self, $0))) })
        case .bfloat16: return Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: UInt32(load(UInt16.self, $0)) << 16) })
        case .int64: return Tensor(shape: shape, int64s: (0..<count).map { load(Int64.self, $0) })
        case .int32: return Tensor(shape: shape, int64s: (0..<count).map { Int64(load(Int32.self, $0)) })
        case .int16: return Tensor(shape: shape, int64s: (0..<count).map { Int64(load(Int16.self, $0)) })
        case .int8: return Tensor(shape: shape, int64s: (0..<count).map { Int64(load(Int8.self, $0)) })
        case .uint8: return Tensor(shape: shape, int64s: (0..<count).map { Int64(load(UInt8.self, $0)) })
        case .bool: return Tensor(shape: shape, int64s: (0..<count).map { load(UInt8.self, $0) != 0 ? 1 : 0 })
        case .uint16: return Tensor(shape: shape, int64s: (0..<count).map { Int64(load(UInt16.self, $0)) })
        case .uint32: return Tensor(shape: shape, int64s: (0..<count).map { Int64(load(UInt32.self, $0)) })
        case .uint64:
            var values = [Int64]()
            values.reserveCapacity(count)
            for i in 0..<count {
                let v = load(UInt64.self, i)
                guard let converted = Int64(exactly: v) else {
                    throw ModelError(.unsupported, "\(what): value \(v) does not fit in int64")
                }
                values.append(converted)
            }
            return Tensor(shape: shape, int64s: values)
        }
    }

    /// The tensor converted to this type (`converting(_:)`), as little-endian bytes.
    public func littleEndianBytes(_ tensor: Tensor) -> [UInt8] {
        // One loop per type, chosen once: exports write hundreds of millions of values here.
        switch converting(tensor).storage {
        case .float32(let values):
            switch self {
            case .float16: return ElementType.pack(values.lazy.map { Float16($0).bitPattern })
            // A NaN keeps its quiet bit: dropping the low half could leave an infinity.
            case .bfloat16: return ElementType.pack(values.lazy.map { UInt16($0.bitPattern >> 16) | ($0.isNaN ? 0x0040 : 0) })
            case .float64: return ElementType.pack(values.lazy.map { Double($0).bitPattern })
            default: return ElementType.pack(values.lazy.map(\.bitPattern))
            }
        case .int64(let values):
            switch byteWidth {
            case 1: return ElementType.pack(values.lazy.map { UInt8(truncatingIfNeeded: $0) })
            case 2: return ElementType.pack(values.lazy.map { UInt16(truncatingIfNeeded: $0) })
            case 4: return ElementType.pack(values.lazy.map { UInt32(truncatingIfNeeded: $0) })
            default: return ElementType.pack(values)
            }
        }
    }

    private static func pack<C: Collection>(_ values: C) -> [UInt8] where C.Element: FixedWidthInteger {
        let width = MemoryLayout<C.Element>.size
        return [UInt8](unsafeUninitializedCapacity: values.count * width) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var offset = 0
            for v in values {
                raw.storeBytes(of: v.littleEndian, toByteOffset: offset, as: C.Element.self)
                offset += width
            }
            initialized = offset
        }
    }
}
