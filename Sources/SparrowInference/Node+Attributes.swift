import SparrowModel

/// Typed attribute access for kernel factories; a present attribute of the wrong kind is an error.
extension CompileContext {
    func int(_ name: String, default value: Int) throws -> Int {
        try optionalInt(name) ?? value
    }

    func optionalInt(_ name: String) throws -> Int? {
        switch node.attributes[name] {
        case nil: return nil
        case .int(let v)?: return Int(v)
        default: throw RuntimeError("attribute '\(name)' must be an int")
        }
    }

    func float(_ name: String, default value: Float) throws -> Float {
        try optionalFloat(name) ?? value
    }

    func optionalFloat(_ name: String) throws -> Float? {
        switch node.attributes[name] {
        case nil: return nil
        case .float(let v)?: return v
        case .int(let v)?: return Float(v)
        default: throw RuntimeError("attribute '\(name)' must be a float")
        }
    }

    func ints(_ name: String) throws -> [Int]? {
        switch node.attributes[name] {
        case nil: return nil
        case .ints(let v)?: return v.map { Int($0) }
        case .int(let v)?: return [Int(v)]
        default: throw RuntimeError("attribute '\(name)' must be a list of ints")
        }
    }

    func floats(_ name: String) throws -> [Float]? {
        switch node.attributes[name] {
        case nil: return nil
        case .floats(let v)?: return v
        case .float(let v)?: return [v]
        default: throw RuntimeError("attribute '\(name)' must be a list of floats")
        }
    }

    func string(_ name: String, default value: String) throws -> String {
        switch node.attributes[name] {
        case nil: return value
        case .string(let v)?: return v
        default: throw RuntimeError("attribute '\(name)' must be a string")
        }
    }

    func tensor(_ name: String) throws -> Tensor? {
        switch node.attributes[name] {
        case nil: return nil
        case .tensor(let v)?: return v
        default: throw RuntimeError("attribute '\(name)' must be a tensor")
        }
    }

    /// Checks the node's input count is within `range` (omitted optional inputs count).
    func requireInputs(_ range: ClosedRange<Int>) throws {
        guard range.contains(node.inputs.count) else {
            let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)...\(range.upperBound)"
            throw RuntimeError("expects \(expected) inputs, has \(node.inputs.count)")
        }
        for i in 0..<range.lowerBound where node.inputs[i].isEmpty {
            throw RuntimeError("required input \(i) is empty")
        }
    }

    /// Checks the node's output count is within `range`.
    func requireOutputs(_ range: ClosedRange<Int>) throws {
        guard range.contains(node.outputs.count), !(node.outputs.first?.isEmpty ?? true) else {
            throw RuntimeError("expects \(range.lowerBound)...\(range.upperBound) outputs with the first named, has \(node.outputs)")
        }
    }

    /// A constant input known at load time (an initializer), if the input names one.
    func constantInput(_ index: Int) -> Tensor? {
        guard index < node.inputs.count, !node.inputs[index].isEmpty else { return nil }
        return initializers[node.inputs[index]]
    }
}
