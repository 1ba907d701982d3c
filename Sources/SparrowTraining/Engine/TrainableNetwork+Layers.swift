import SparrowModel

extension TrainableNetwork {
    /// The operators the engine trains; anything else is a typed error naming the node.
    public static let supportedOperators: Set<String> = [
        "Gemm", "MatMul", "Add", "Conv", "Relu", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten",
        "Reshape", "Identity", "Dropout", "BatchNormalization", "Softmax",
    ]

    static func makeLayer(_ node: Node, _ ins: [Int], _ outs: [Int], opset: Int, int64Constants: [String: [Int64]],
                          floatConstants: [String: Tensor]) throws -> Layer {
        let name = node.displayName
        guard !outs.isEmpty, outs[0] >= 0 else { throw TrainingError.invalidGraph("node \(name) has no output") }
        switch node.opType {
        case "Gemm": return try GemmLayer(node: node, inputs: ins, outputs: outs)
        case "MatMul": return try MatMulLayer(node: node, inputs: ins, outputs: outs)
        case "Add": return try AddLayer(node: node, inputs: ins, outputs: outs)
        case "Conv": return try ConvLayer(node: node, inputs: ins, outputs: outs)
        case "Relu": return ReluLayer(node: node, inputs: ins, outputs: outs)
        case "MaxPool": return try PoolLayer(node: node, kind: .max, inputs: ins, outputs: outs)
        case "AveragePool":
            return try PoolLayer(node: node, kind: .average(countIncludePad: node.int("count_include_pad", default: 0) != 0),
                                 inputs: ins, outputs: outs)
        case "GlobalAveragePool": return try PoolLayer(node: node, kind: .globalAverage, inputs: ins, outputs: outs)
        case "Softmax": return SoftmaxLayer(node: node, inputs: ins, outputs: outs, opset: opset)
        case "BatchNormalization": return try BatchNormLayer(node: node, inputs: ins, outputs: outs)
        case "Flatten":
            return ReshapeLayer(name: name, kind: .flatten(axis: node.int("axis", default: 1)), inputs: [ins[0]], outputs: outs)
        case "Identity":
            return ReshapeLayer(name: name, kind: .identity, inputs: [ins[0]], outputs: outs)
        case "Reshape":
            let target: [Int64]
            if node.inputs.count >= 2, let c = int64Constants[node.inputs[1]] {
                target = c
            } else if case .ints(let s)? = node.attributes["shape"] {
                target = s
            } else {
                throw TrainingError.unsupportedOperator(node: name, reason: "Reshape needs a constant INT64 shape initializer")
            }
            return ReshapeLayer(name: name, kind: .reshape(target.map { Int($0) }, allowZero: node.int("allowzero", default: 0) != 0),
                                inputs: [ins[0]], outputs: outs)
        case "Dropout":
            var ratio = node.float("ratio", default: 0.5)
            if node.inputs.count >= 2, !node.inputs[1].isEmpty {
                guard let r = floatConstants[node.inputs[1]], r.count == 1, r.dataType == .float32 else {
                    throw TrainingError.unsupportedOperator(node: name, reason: "Dropout ratio must be a constant scalar initializer")
                }
                ratio = r.floats[0]
            }
            return try DropoutLayer(name: name, ratio: ratio, inputs: [ins[0]], outputs: [outs[0]])
        default:
            throw TrainingError.unsupportedOperator(node: name, reason: "operator \(node.opType) has no training kernel; supported: "
                                                    + supportedOperators.sorted().joined(separator: ", "))
        }
    }
}
