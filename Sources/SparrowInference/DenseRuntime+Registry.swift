import SparrowModel

/// The op table: op key (see `DenseRuntime.opKey`) → kernel factory.
extension DenseRuntime {
    static let kernelFactories: [String: KernelFactory] = coreFactories.merging(mathFactories) { core, _ in core }

    /// Ops younger than the oldest opset Sparrow reads (9): a model importing an older opset
    /// cannot use them (onnxruntime refuses such a model too).
    static let introducedInOpset: [String: Int] = [
        "GreaterOrEqual": 12, "LessOrEqual": 12, "HardSwish": 14, "Gelu": 20,
    ]

    static let coreFactories: [String: KernelFactory] = [
        "Gemm": gemm,
        "MatMul": matMul,
        "Add": arithmetic(.add),
        "Sub": arithmetic(.sub),
        "Mul": arithmetic(.mul),
        "Div": arithmetic(.div),
        "Pow": pow,
        "PRelu": pRelu,
        "Min": variadic(.min),
        "Max": variadic(.max),
        "Sum": variadic(.sum),
        "Mean": variadic(.mean),
        "Equal": compare(.equal),
        "Greater": compare(.greater),
        "GreaterOrEqual": compare(.greaterOrEqual),
        "Less": compare(.less),
        "LessOrEqual": compare(.lessOrEqual),
        "And": logic(.and),
        "Or": logic(.or),
        "Xor": logic(.xor),
        "Not": not,
        "Where": whereOp,
        "Expand": expand,
        "Relu": relu,
        "LeakyRelu": leakyRelu,
        "Sigmoid": sigmoid,
        "Tanh": tanh,
        "Clip": clip,
        "Softmax": softmax,
        "LogSoftmax": logSoftmax,
        "Conv": conv,
        "MaxPool": maxPool,
        "AveragePool": averagePool,
        "GlobalAveragePool": globalAveragePool,
        "BatchNormalization": batchNormalization,
        "LRN": lrn,
        "Identity": identity,
        "Dropout": dropout,
        "Flatten": flatten,
        "Reshape": reshape,
        "Squeeze": squeeze,
        "Unsqueeze": unsqueeze,
        "Shape": shape,
        "Constant": constant,
        "ConstantOfShape": constantOfShape,
        "Cast": cast,
        "Transpose": transpose,
        "Concat": concat,
        "Gather": gather,
        "Slice": slice,
        "Pad": pad,
        "ArgMax": argMax,
        "ReduceMean": reduceMean,
        "ai.onnx.ml:ArrayFeatureExtractor": arrayFeatureExtractor,
    ]
}
