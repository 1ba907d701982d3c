import SparrowModel

/// The op table: op key (see `DenseRuntime.opKey`) → kernel factory.
extension DenseRuntime {
    static let kernelFactories: [String: KernelFactory] = [
        "Gemm": gemm,
        "MatMul": matMul,
        "Add": arithmetic(.add),
        "Sub": arithmetic(.sub),
        "Mul": arithmetic(.mul),
        "Div": arithmetic(.div),
        "Relu": relu,
        "LeakyRelu": leakyRelu,
        "Sigmoid": sigmoid,
        "Tanh": tanh,
        "Clip": clip,
        "Softmax": softmax,
        "LogSoftmax": logSoftmax,
    ]
}
