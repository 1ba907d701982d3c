/// Source-index maps for data-movement ops. Output element (c₀, c₁, …) reads source index
/// Σ maps[d][c_d] · strides[d], or nothing (−1, a fill value) when any maps[d][c_d] is −1.
/// Transpose, Slice, Gather, Pad and ArrayFeatureExtractor are each one such map.
func combinedIndices(maps: [[Int]], strides: [Int]) -> [Int] {
    var result = [0]
    for d in maps.indices {
        let map = maps[d], stride = strides[d]
        var next = [Int]()
        next.reserveCapacity(result.count * map.count)
        for r in result {
            for m in map { next.append(r < 0 || m < 0 ? -1 : r + m * stride) }
        }
        result = next
    }
    return result
}
