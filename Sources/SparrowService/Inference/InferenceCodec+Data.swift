import SparrowCompression
import SparrowModel

/// An input's JSON `data`: nested arrays, row-major, of values its datatype can hold.
extension InferenceCodec {
    static func decodeData(_ data: JSONNode, as element: ElementType, shape: [Int], count: Int,
                           name: String) throws(InferenceError) -> Tensor {
        let tensor: Tensor
        switch element.computeType {
        case .float32:
            var values: [Float] = []
            values.reserveCapacity(count)
            try flatten(data, limit: count, name: name) { (leaf) throws(InferenceError) in
                guard case .number(let number, _) = leaf else {
                    throw .invalid("input '\(name)' is \(element.rawValue): 'data' must hold only numbers")
                }
                // The value the model would see in its declared type.
                values.append(element.rounded(Float(number)))
            }
            guard values.count == count else { throw countMismatch(values.count, shape: shape, name: name) }
            tensor = Tensor(shape: shape, floats: values)
        case .int64:
            var values: [Int64] = []
            values.reserveCapacity(count)
            try flatten(data, limit: count, name: name) { (leaf) throws(InferenceError) in
                values.append(try integer(leaf, as: element, name: name))
            }
            guard values.count == count else { throw countMismatch(values.count, shape: shape, name: name) }
            tensor = Tensor(shape: shape, int64s: values)
        }
        return tensor
    }

    /// A JSON leaf as an integer (or bool) element, refused unless the type holds it exactly.
    private static func integer(_ leaf: JSONNode, as element: ElementType, name: String) throws(InferenceError) -> Int64 {
        if element == .bool {
            guard case .bool(let b) = leaf else { throw .invalid("input '\(name)' is BOOL: 'data' must hold only true and false") }
            return b ? 1 : 0
        }
        guard case .number(let number, let exact) = leaf else {
            throw .invalid("input '\(name)' is \(element.rawValue): 'data' must hold only numbers")
        }
        let value: Int64
        if let exact {
            value = exact
        } else {
            guard number.isFinite, number.rounded() == number, abs(number) < 9.2e18 else {
                throw .invalid("input '\(name)' is \(element.rawValue) but holds \(number)")
            }
            value = Int64(number)
        }
        guard element.holds(value) else {
            throw .invalid("input '\(name)' is \(element.rawValue) but holds \(value)")
        }
        return value
    }

    private static func countMismatch(_ got: Int, shape: [Int], name: String) -> InferenceError {
        .invalid("input '\(name)' has \(got) values but shape \(shape) needs \(Tensor.count(of: shape))")
    }

    /// Visits the leaves of nested arrays row-major; stops once more than `limit` were seen.
    private static func flatten(_ value: JSONNode, limit: Int, name: String,
                                _ visit: (JSONNode) throws(InferenceError) -> Void) throws(InferenceError) {
        var seen = 0
        func walk(_ node: JSONNode) throws(InferenceError) {
            if case .array(let items) = node {
                for item in items {
                    try walk(item)
                    if seen > limit { return }
                }
                return
            }
            seen += 1
            if seen > limit { return }
            try visit(node)
        }
        try walk(value)
        if seen > limit { throw .invalid("input '\(name)' has more values than its shape holds") }
    }
}
