import SparrowModel

/// Matching user-supplied arrays to a graph's declared inputs.
enum InputFeeding {
    /// Reads `.npz` (one array per graph input, named after it) or `.npy` (single-input models).
    static func load(path: String, for graph: Graph) throws -> [String: Tensor] {
        let arrays: [String: Tensor]
        if path.hasSuffix(".npy") {
            guard graph.inputs.count == 1 else {
                throw CLIError("the model has \(graph.inputs.count) inputs (\(names(graph.inputs))); give an .npz with one array per input")
            }
            arrays = [graph.inputs[0].name: try NPY.read(path: path)]
        } else {
            arrays = try NPZ.read(path: path)
        }
        return try match(arrays, to: graph)
    }

    /// Checks names, converts dtypes to the declared ones, and checks shapes against fixed dimensions.
    static func match(_ arrays: [String: Tensor], to graph: Graph) throws -> [String: Tensor] {
        let declared = Set(graph.inputs.map(\.name))
        if let extra = arrays.keys.sorted().first(where: { !declared.contains($0) }) {
            throw CLIError("unexpected input '\(extra)': the model's inputs are \(names(graph.inputs))")
        }
        var fed: [String: Tensor] = [:]
        for info in graph.inputs {
            guard let array = arrays[info.name] else {
                throw CLIError("missing input '\(info.name)' (the model's inputs are \(names(graph.inputs)))")
            }
            let converted = try convert(array, to: info)
            try checkShape(converted.shape, against: info)
            fed[info.name] = converted
        }
        return fed
    }

    static func convert(_ t: Tensor, to info: ValueInfo) throws -> Tensor {
        let computed = try convert(t, toComputeTypeOf: info)
        guard case .int64(let values) = computed.storage else { return info.elementType.converting(computed) }
        if let bad = values.first(where: { !info.elementType.holds($0) }) {
            throw CLIError("input '\(info.name)' is \(info.elementType.rawValue) but holds \(bad)")
        }
        return computed
    }

    private static func convert(_ t: Tensor, toComputeTypeOf info: ValueInfo) throws -> Tensor {
        switch (t.storage, info.dataType) {
        case (.float32, .float32), (.int64, .int64):
            return t
        case (.int64(let v), .float32):
            return Tensor(shape: t.shape, floats: v.map { Float($0) })
        case (.float32(let v), .int64):
            // Float arrays are read as float32: from 2^24 on, an integer may be a rounded neighbour.
            guard let bad = v.first(where: { !$0.isFinite || $0 != $0.rounded() || abs($0) >= 16_777_216 }) else {
                return Tensor(shape: t.shape, int64s: v.map { Int64($0) })
            }
            if bad.isFinite && bad == bad.rounded() {
                throw CLIError("input '\(info.name)' (\(info.elementType.rawValue)) holds \(bad) in a float array, which is read as float32 and exact only below 2^24: give an integer array")
            }
            throw CLIError("input '\(info.name)' must be integers (\(info.elementType.rawValue)), but holds \(bad)")
        }
    }

    static func checkShape(_ shape: [Int], against info: ValueInfo) throws {
        let fixedOK = zip(shape, info.shape).allSatisfy { size, dim in
            if case .fixed(let expected) = dim { return size == expected }
            return true
        }
        guard shape.count == info.shape.count, fixedOK else {
            throw CLIError("input '\(info.name)' has shape \(shape), the model expects \(describe(info.shape))")
        }
    }

    static func describe(_ shape: [Dimension]) -> String {
        "[" + shape.map { dim -> String in
            switch dim {
            case .fixed(let n): return String(n)
            case .dynamic(let name): return name.isEmpty ? "?" : name
            }
        }.joined(separator: ", ") + "]"
    }

    static func names(_ infos: [ValueInfo]) -> String {
        infos.map { "'\($0.name)' \(describe($0.shape)) \($0.elementType.rawValue)" }.joined(separator: ", ")
    }
}
