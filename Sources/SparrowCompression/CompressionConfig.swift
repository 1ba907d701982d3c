/// What to compress and how: the object `sparrow compress --config` and the HTTP API take.
/// Every field is optional; defaults follow Han et al. (ICLR 2016). Decoding is strict: unknown
/// keys, wrong types and out-of-range values are errors naming their JSON path.
public struct CompressionConfig: Sendable, Equatable {
    public struct Prune: Sendable, Equatable {
        /// Fraction of each layer's weights to prune, in [0, 1). Used when `thresholdStd` is nil.
        public var sparsity: Double = 0.9
        /// If set, prune |w| < thresholdStd × std(layer weights) instead of by sparsity.
        public var thresholdStd: Double?
        /// Per-initializer sparsity, overriding the rule above for that layer.
        public var layers: [String: Double] = [:]
        public init() {}
    }

    public struct Quantize: Sendable, Equatable {
        public var fcBits = 5
        public var convBits = 8
        public var initialization: CentroidInit = .linear
        /// Per-initializer bit width, 1...8.
        public var layers: [String: Int] = [:]
        /// Seed of the random initialisations (each layer derives its own from it).
        public var seed: UInt64 = 0
        /// k-means stops when no centroid moves more than tolerance × weight range.
        public var tolerance = 1e-7
        public var maxIterations = 300
        public init() {}
    }

    /// Training settings; validated here so the API can reject bad jobs at submission, interpreted
    /// by SparrowTraining.
    public struct Finetune: Sendable, Equatable {
        public enum Schedule: String, Sendable, Equatable, CaseIterable {
            case oneshot, iterative, gradual
        }
        public var dataset: String?
        public var epochs: Int?
        public var learningRate: Double?
        public var schedule: Schedule?
        public var evalDataset: String?
        public init() {}
    }

    public var prune = Prune()
    public var quantize = Quantize()
    /// Relative-index width: fixed bits, or `.auto` to choose per layer.
    public var indexBits: SparseEncoder.IndexBits = .fixed(5)
    /// Per-initializer index widths.
    public var indexBitsLayers: [String: SparseEncoder.IndexBits] = [:]
    public var huffman = true
    /// Weight tensors with fewer values than this stay dense (a codebook would cost more than it saves).
    public var minParams = 256
    public var sparseOrder: SparseOrder = .csr
    public var finetune: Finetune?

    public init() {}

    /// Parses and validates config JSON.
    public init(json bytes: [UInt8]) throws(CompressionError) {
        try self.init(jsonValue: JSONValue.parse(bytes))
    }

    public init(jsonValue: JSONValue) throws(CompressionError) {
        let root = try StrictObject(jsonValue, path: "$")
        try root.rejectUnknown(allowed: ["prune", "quantize", "index_bits", "huffman", "min_params", "sparse_order", "finetune"])
        if let p = root.value("prune") {
            let o = try StrictObject(p, path: "$.prune")
            try o.rejectUnknown(allowed: ["sparsity", "threshold_std", "layers"])
            let sparsity = try o.number("sparsity", in: 0...1, openUpper: true)
            prune.thresholdStd = try o.number("threshold_std", in: 0...1e6)
            if sparsity != nil && prune.thresholdStd != nil {
                throw .invalidConfig(path: "$.prune", message: "give either sparsity or threshold_std, not both")
            }
            if let sparsity { prune.sparsity = sparsity }
            if let layers = o.value("layers") {
                let l = try StrictObject(layers, path: "$.prune.layers")
                for (name, v) in l.fields {
                    prune.layers[name] = try StrictObject.number(v, path: "$.prune.layers.\(name)", in: 0...1, openUpper: true)
                }
            }
        }
        if let q = root.value("quantize") {
            let o = try StrictObject(q, path: "$.quantize")
            try o.rejectUnknown(allowed: ["fc_bits", "conv_bits", "init", "layers", "seed", "tolerance", "max_iterations"])
            if let b = try o.integer("fc_bits", in: Quantizer.bitRange) { quantize.fcBits = b }
            if let b = try o.integer("conv_bits", in: Quantizer.bitRange) { quantize.convBits = b }
            if let s = try o.string("init") {
                guard let i = CentroidInit(rawValue: s) else {
                    throw .invalidConfig(path: "$.quantize.init", message: "unknown initialisation \"\(s)\" (allowed: \(CentroidInit.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                quantize.initialization = i
            }
            if let layers = o.value("layers") {
                let l = try StrictObject(layers, path: "$.quantize.layers")
                for (name, v) in l.fields {
                    quantize.layers[name] = try StrictObject.integer(v, path: "$.quantize.layers.\(name)", in: Quantizer.bitRange)
                }
            }
            if let s = try o.integer("seed", in: 0...(1 << 53) - 1) { quantize.seed = UInt64(s) }
            if let t = try o.number("tolerance", in: 0...1) { quantize.tolerance = t }
            if let m = try o.integer("max_iterations", in: 1...100_000) { quantize.maxIterations = m }
        }
        if let v = root.value("index_bits") {
            if case .object = v {
                let o = try StrictObject(v, path: "$.index_bits")
                try o.rejectUnknown(allowed: ["default", "layers"])
                if let d = o.value("default") { indexBits = try CompressionConfig.indexBits(d, path: "$.index_bits.default") }
                if let layers = o.value("layers") {
                    let l = try StrictObject(layers, path: "$.index_bits.layers")
                    for (name, x) in l.fields {
                        indexBitsLayers[name] = try CompressionConfig.indexBits(x, path: "$.index_bits.layers.\(name)")
                    }
                }
            } else {
                indexBits = try CompressionConfig.indexBits(v, path: "$.index_bits")
            }
        }
        if let h = try root.bool("huffman") { huffman = h }
        if let m = try root.integer("min_params", in: 0...(1 << 40)) { minParams = m }
        if let s = try root.string("sparse_order") {
            guard let order = SparseOrder(rawValue: s) else {
                throw .invalidConfig(path: "$.sparse_order", message: "expected \"csr\" or \"csc\", got \"\(s)\"")
            }
            sparseOrder = order
        }
        if let f = root.value("finetune") {
            let o = try StrictObject(f, path: "$.finetune")
            try o.rejectUnknown(allowed: ["dataset", "epochs", "learning_rate", "schedule", "eval_dataset"])
            var ft = Finetune()
            ft.dataset = try o.string("dataset")
            ft.epochs = try o.integer("epochs", in: 0...10_000)
            if let lr = try o.number("learning_rate", in: 0...10) {
                guard lr > 0 else { throw .invalidConfig(path: "$.finetune.learning_rate", message: "must be positive") }
                ft.learningRate = lr
            }
            if let s = try o.string("schedule") {
                guard let schedule = Finetune.Schedule(rawValue: s) else {
                    throw .invalidConfig(path: "$.finetune.schedule", message: "unknown schedule \"\(s)\" (allowed: oneshot, iterative, gradual)")
                }
                ft.schedule = schedule
            }
            ft.evalDataset = try o.string("eval_dataset")
            if let d = ft.dataset, d.isEmpty { throw .invalidConfig(path: "$.finetune.dataset", message: "must not be empty") }
            finetune = ft
        }
    }

    private static func indexBits(_ v: JSONValue, path: String) throws(CompressionError) -> SparseEncoder.IndexBits {
        if case .string(let s) = v {
            guard s == "auto" else { throw .invalidConfig(path: path, message: "expected an integer or \"auto\", got \"\(s)\"") }
            return .auto
        }
        return .fixed(try StrictObject.integer(v, path: path, in: SparseEncoder.indexBitRange))
    }

    /// The config as JSON with every field explicit (stored in the artifact's metadata).
    public var jsonValue: JSONValue {
        func ib(_ b: SparseEncoder.IndexBits) -> JSONValue {
            if case .fixed(let n) = b { return .number(Double(n)) }
            return .string("auto")
        }
        var root: [String: JSONValue] = [
            "prune": .object([
                "sparsity": prune.thresholdStd == nil ? .number(prune.sparsity) : .null,
                "threshold_std": prune.thresholdStd.map { .number($0) } ?? .null,
                "layers": .object(prune.layers.mapValues { .number($0) }),
            ]),
            "quantize": .object([
                "fc_bits": .number(Double(quantize.fcBits)), "conv_bits": .number(Double(quantize.convBits)),
                "init": .string(quantize.initialization.rawValue),
                "layers": .object(quantize.layers.mapValues { .number(Double($0)) }),
                "seed": .number(Double(quantize.seed)), "tolerance": .number(quantize.tolerance),
                "max_iterations": .number(Double(quantize.maxIterations)),
            ]),
            "index_bits": indexBitsLayers.isEmpty ? ib(indexBits)
                : .object(["default": ib(indexBits), "layers": .object(indexBitsLayers.mapValues(ib))]),
            "huffman": .bool(huffman),
            "min_params": .number(Double(minParams)),
            "sparse_order": .string(sparseOrder.rawValue),
        ]
        if let f = finetune {
            var o: [String: JSONValue] = [:]
            if let d = f.dataset { o["dataset"] = .string(d) }
            if let e = f.epochs { o["epochs"] = .number(Double(e)) }
            if let l = f.learningRate { o["learning_rate"] = .number(l) }
            if let s = f.schedule { o["schedule"] = .string(s.rawValue) }
            if let e = f.evalDataset { o["eval_dataset"] = .string(e) }
            root["finetune"] = .object(o)
        }
        return .object(root)
    }

    /// Every initializer name the config mentions per layer, with the JSON path it came from.
    public var layerReferences: [(name: String, path: String)] {
        prune.layers.keys.map { ($0, "$.prune.layers.\($0)") }
            + quantize.layers.keys.map { ($0, "$.quantize.layers.\($0)") }
            + indexBitsLayers.keys.map { ($0, "$.index_bits.layers.\($0)") }
    }
}
