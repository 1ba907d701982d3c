/// Whether a compressed layer feeds a fully connected op (Gemm, MatMul) or a convolution; the
/// paper gives them different default bit widths (5 for fc, 8 for conv).
public enum LayerKind: String, Sendable, Codable, Equatable {
    case fc
    case conv
}
