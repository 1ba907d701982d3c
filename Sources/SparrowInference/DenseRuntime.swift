import SparrowModel

/// The dense reference runtime: executes a `Graph` node by node on float32 / int64 tensors.
///
/// Loading compiles every node into a kernel (attributes parsed and checked once, `Constant` nodes
/// and nodes whose inputs are all constant evaluated once). Running keeps values in a per-call slot
/// array, so `run` may be called from several threads at once. A value's storage is released after its
/// last use, which lets element-wise kernels reuse it in place.
public final class DenseRuntime: Sendable {
    /// Op types the runtime executes; ops outside the default ONNX domain are written "domain:Op".
    public static let supportedOps: Set<String> = Set(kernelFactories.keys)

    /// The graph this runtime executes.
    public let graph: Graph
    /// Value slots before any node runs: initializers and folded constants.
    let initialValues: [Tensor?]
    let inputSlots: [(info: ValueInfo, slot: Int)]
    let outputSlots: [(name: String, slot: Int)]
    let steps: [CompiledNode]

    /// Validates every node (an unsupported op is an error naming the op and node) and precompiles it.
    ///
    /// `linearOperators` is keyed by weight initializer name: `Gemm`, `MatMul` and `Conv` nodes whose
    /// weight input has such a name call the operator instead of GEMM, and the initializer may be
    /// absent from `graph.initializers`. The operator's W is always out × in (see `LinearOperator`).
    public init(graph: Graph, linearOperators: [String: any LinearOperator] = [:]) throws {
        BLASThreads.configured
        self.graph = graph
        var slots: [String: Int] = [:]
        var values: [Tensor?] = []
        func slot(_ name: String) -> Int {
            if let s = slots[name] { return s }
            slots[name] = values.count
            values.append(nil)
            return values.count - 1
        }
        var constant = Set<Int>()
        for (name, tensor) in graph.initializers {
            let s = slot(name)
            values[s] = tensor
            constant.insert(s)
        }
        var defined = constant
        var inputs: [(ValueInfo, Int)] = []
        for info in graph.inputs {
            guard slots[info.name] == nil || !constant.contains(slots[info.name]!) else {
                // ONNX allows an input to override an initializer; Sparrow feeds only true inputs.
                throw RuntimeError("graph input '\(info.name)' is also an initializer")
            }
            let s = slot(info.name)
            guard !inputs.contains(where: { $0.1 == s }) else {
                throw RuntimeError("graph input '\(info.name)' is declared twice")
            }
            inputs.append((info, s))
            defined.insert(s)
        }
        let operatorNames = Set(linearOperators.keys)

        var compiled: [(CompiledNode, [Int])] = []
        for node in graph.nodes {
            let label = "node '\(node.displayName)' (\(node.opType))"
            let key = DenseRuntime.opKey(node)
            guard let factory = DenseRuntime.kernelFactories[key] else {
                throw RuntimeError("\(label): unsupported op '\(key)'")
            }
            if let since = DenseRuntime.introducedInOpset[key], graph.opsetVersion < since {
                throw RuntimeError("\(label): '\(key)' exists from opset \(since); the model imports opset \(graph.opsetVersion)")
            }
            var inputSlots: [Int] = []
            for (index, name) in node.inputs.enumerated() {
                if name.isEmpty { inputSlots.append(-1); continue }
                if operatorNames.contains(name) && !(index == 1 && ["Gemm", "MatMul", "Conv"].contains(key)) {
                    throw RuntimeError("\(label): '\(name)' is a linear-operator weight, usable only as input 1 of Gemm, MatMul or Conv")
                }
                guard let s = slots[name], defined.contains(s) || operatorNames.contains(name) else {
                    if operatorNames.contains(name) { inputSlots.append(slot(name)); continue }
                    throw RuntimeError("\(label): input '\(name)' is not a graph input, an initializer or an earlier node's output")
                }
                inputSlots.append(s)
            }
            let context = CompileContext(node: node, opset: graph.opsetVersion, initializers: graph.initializers,
                                         linearOperators: linearOperators)
            let kernel: Kernel
            do {
                kernel = try factory(context)
            } catch let error as RuntimeError {
                throw RuntimeError("\(label): \(error.message)")
            }
            var outputSlots: [Int] = []
            for name in node.outputs {
                if name.isEmpty { outputSlots.append(-1); continue }
                if let s = slots[name], defined.contains(s) {
                    throw RuntimeError("\(label): output '\(name)' is already defined (graphs must be SSA)")
                }
                outputSlots.append(slot(name))
            }
            let step = CompiledNode(label: label, inputs: inputSlots, outputs: outputSlots, releases: [], kernel: kernel)
            // Fold nodes whose inputs are all constant (Constant itself has none): run them once now.
            let foldable = inputSlots.allSatisfy { $0 < 0 || (constant.contains($0) && values[$0] != nil) }
            if foldable {
                var args = inputSlots.map { $0 < 0 ? nil : values[$0] }
                let results = try step.execute(&args)
                for (i, s) in outputSlots.enumerated() where s >= 0 {
                    values[s] = results[i]
                    constant.insert(s)
                }
            } else {
                compiled.append((step, inputSlots))
            }
            for s in outputSlots where s >= 0 { defined.insert(s) }
        }

        var outputs: [(String, Int)] = []
        for info in graph.outputs {
            guard let s = slots[info.name], defined.contains(s) else {
                throw RuntimeError("graph output '\(info.name)' is not produced by any node, input or initializer")
            }
            outputs.append((info.name, s))
        }

        // Release each non-constant, non-output value after its last use so its storage can be reused.
        let keep = constant.union(outputs.map { $0.1 })
        var lastUse: [Int: Int] = [:]
        for (index, entry) in compiled.enumerated() {
            for s in entry.1 where s >= 0 { lastUse[s] = index }
        }
        var releases = [[Int]](repeating: [], count: compiled.count)
        for (s, index) in lastUse where !keep.contains(s) { releases[index].append(s) }
        self.steps = compiled.enumerated().map { index, entry in
            CompiledNode(label: entry.0.label, inputs: entry.0.inputs, outputs: entry.0.outputs,
                         releases: releases[index], kernel: entry.0.kernel)
        }
        self.initialValues = values
        self.inputSlots = inputs.map { (info: $0.0, slot: $0.1) }
        self.outputSlots = outputs.map { (name: $0.0, slot: $0.1) }
    }

    /// Runs the graph on `inputs` (keyed by graph input name) and returns every graph output by name.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        var values = initialValues
        for key in inputs.keys where !inputSlots.contains(where: { $0.info.name == key }) {
            let expected = inputSlots.map { "'\($0.info.name)'" }.joined(separator: ", ")
            throw RuntimeError("unexpected input '\(key)' (the graph's inputs are \(expected))")
        }
        for (info, slot) in inputSlots {
            guard let tensor = inputs[info.name] else {
                throw RuntimeError("missing input '\(info.name)'")
            }
            try DenseRuntime.check(tensor, against: info)
            values[slot] = tensor
        }
        for step in steps {
            var args = step.inputs.map { $0 < 0 ? nil : values[$0] }
            for s in step.releases { values[s] = nil }
            let results = try step.execute(&args)
            for (i, s) in step.outputs.enumerated() where s >= 0 { values[s] = results[i] }
        }
        var result: [String: Tensor] = [:]
        for (name, slot) in outputSlots {
            guard let value = values[slot] else {
                throw RuntimeError("graph output '\(name)' was not computed")
            }
            result[name] = value
        }
        return result
    }

    static func check(_ tensor: Tensor, against info: ValueInfo) throws {
        guard tensor.dataType == info.dataType else {
            throw RuntimeError("input '\(info.name)' has type \(tensor.dataType.rawValue), expected \(info.dataType.rawValue)")
        }
        guard tensor.rank == info.shape.count else {
            throw RuntimeError("input '\(info.name)' has shape \(tensor.shape), expected rank \(info.shape.count) (\(describe(info.shape)))")
        }
        for (axis, dim) in info.shape.enumerated() {
            if case .fixed(let size) = dim, tensor.shape[axis] != size {
                throw RuntimeError("input '\(info.name)' has shape \(tensor.shape), expected \(describe(info.shape))")
            }
        }
    }

    static func describe(_ shape: [Dimension]) -> String {
        "[" + shape.map { dim -> String in
            switch dim {
            case .fixed(let size): return String(size)
            case .dynamic(let name): return name.isEmpty ? "?" : name
            }
        }.joined(separator: ", ") + "]"
    }

    static func opKey(_ node: Node) -> String {
        node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain):\(node.opType)"
    }
}

/// What a kernel factory sees when it compiles one node at load time.
struct CompileContext {
    let node: Node
    let opset: Int
    let initializers: [String: Tensor]
    let linearOperators: [String: any LinearOperator]

    /// The linear operator replacing input `index`'s weight, if any.
    func linearOperator(forInput index: Int) -> (any LinearOperator)? {
        guard index < node.inputs.count, !node.inputs[index].isEmpty else { return nil }
        return linearOperators[node.inputs[index]]
    }
}

/// A compiled node's computation. It receives its inputs (nil for omitted optional inputs) and may
/// take an input out of the array to reuse its storage in place. It returns one tensor per output.
typealias Kernel = @Sendable (inout [Tensor?]) throws -> [Tensor]
typealias KernelFactory = @Sendable (CompileContext) throws -> Kernel

struct CompiledNode: Sendable {
    let label: String
    let inputs: [Int]
    let outputs: [Int]
    /// Value slots whose last use is this node.
    let releases: [Int]
    let kernel: Kernel

    func execute(_ args: inout [Tensor?]) throws -> [Tensor] {
        let results: [Tensor]
        do {
            results = try kernel(&args)
        } catch let error as RuntimeError {
            throw RuntimeError("\(label): \(error.message)")
        }
        for (i, s) in outputs.enumerated() where s >= 0 && i >= results.count {
            _ = s
            throw RuntimeError("\(label): output \(i) is not produced by this op")
        }
        return results
    }
}
