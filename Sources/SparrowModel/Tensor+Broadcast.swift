/// Numpy-style broadcasting of one operand to an output shape.
extension Tensor {
    /// For each element of `output` (row-major), the offset of the element of an `input`-shaped
    /// operand it reads; `input` must broadcast to `output`. Kernels gather through it, and the
    /// training engine sums gradients back along it.
    public static func broadcastOffsets(from input: [Int], to output: [Int]) -> [Int] {
        let rank = output.count
        let padded = [Int](repeating: 1, count: rank - input.count) + input
        let inStrides = Tensor.strides(of: padded).enumerated().map { padded[$0.offset] == 1 ? 0 : $0.element }
        let total = Tensor.count(of: output)
        var result = [Int](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for e in 0..<total {
            result[e] = offset
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                offset += inStrides[d]
                if index[d] < output[d] { break }
                offset -= inStrides[d] * index[d]
                index[d] = 0
                d -= 1
            }
        }
        return result
    }
}
