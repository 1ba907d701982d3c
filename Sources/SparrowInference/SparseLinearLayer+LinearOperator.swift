/// The dense runtime calls the sparse layer wherever a compressed Gemm / MatMul / Conv weight was.
extension SparseLinearLayer: LinearOperator {}
