import SparrowModel

/// The largest tensor a kernel will allocate (elements): shapes computed from data never exceed it,
/// which also keeps every GEMM dimension within BLAS's 32-bit integers.
let maxElementCount = Int(Int32.max)

extension Tensor {
    /// The float32 values, or an error naming `role` if the tensor holds int64.
    func requireFloats(_ role: String) throws -> [Float] {
        guard case .float32(let v) = storage else {
            throw RuntimeError("\(role) must be float32, got INT64")
        }
        return v
    }

    /// The int64 values, or an error naming `role` if the tensor holds float32.
    func requireInt64s(_ role: String) throws -> [Int64] {
        guard case .int64(let v) = storage else {
            throw RuntimeError("\(role) must be int64, got FP32")
        }
        return v
    }

    /// The values of a 1-D (or scalar) int64 tensor as `Int`s, e.g. a shape or axes input.
    func requireIntList(_ role: String) throws -> [Int] {
        guard rank <= 1 else { throw RuntimeError("\(role) must be 1-D, has shape \(shape)") }
        return try requireInt64s(role).map { Int($0) }
    }

    /// Rebuilds a tensor of the same type whose element i is element `indices[i]` of this one
    /// (`-1` selects `fill`). Data-movement ops (Transpose, Slice, Gather, Pad…) reduce to this.
    func gathered(_ indices: [Int], shape newShape: [Int], fill: Double = 0) -> Tensor {
        switch storage {
        case .float32(let v):
            return Tensor(shape: newShape, floats: Tensor.gather(v, indices, fill: Float(fill)))
        case .int64(let v):
            let f = fill.isFinite ? Int64(exactly: fill.rounded(.towardZero)) ?? 0 : 0
            return Tensor(shape: newShape, int64s: Tensor.gather(v, indices, fill: f))
        }
    }

    private static func gather<T>(_ values: [T], _ indices: [Int], fill: T) -> [T] {
        indices.withUnsafeBufferPointer { idx in
            values.withUnsafeBufferPointer { src in
                [T](unsafeUninitializedCapacity: idx.count) { dst, n in
                    for i in 0..<idx.count { dst.initializeElement(at: i, to: idx[i] >= 0 ? src[idx[i]] : fill) }
                    n = idx.count
                }
            }
        }
    }

    /// Element count of a shape computed from data, rejecting negative dims and absurd sizes.
    static func checkedCount(_ shape: [Int]) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw RuntimeError("negative dimension in shape \(shape)") }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maxElementCount else {
                throw RuntimeError("shape \(shape) is too large")
            }
            n = p
        }
        return n
    }
}

/// Resolves a possibly negative axis against `rank` (valid range -rank..<rank).
func normalizeAxis(_ axis: Int, rank: Int, what: String = "axis") throws -> Int {
    guard axis >= -rank, axis < rank else {
        throw RuntimeError("\(what) \(axis) is out of range for rank \(rank)")
    }
    return axis < 0 ? axis + rank : axis
}

/// Resolves a list of axes, rejecting duplicates.
func normalizeAxes(_ axes: [Int], rank: Int) throws -> [Int] {
    let resolved = try axes.map { try normalizeAxis($0, rank: rank) }
    guard Set(resolved).count == resolved.count else {
        throw RuntimeError("axes \(axes) contain duplicates")
    }
    return resolved
}

extension Array where Element == Tensor? {
    /// Input `index`, or an error if it was omitted.
    func required(_ index: Int, _ role: String) throws -> Tensor {
        guard index < count, let t = self[index] else {
            throw RuntimeError("missing input \(index) (\(role))")
        }
        return t
    }

    /// Input `index` if present.
    func optional(_ index: Int) -> Tensor? {
        index < count ? self[index] : nil
    }

    /// Takes input `index` out of the array, so a kernel holding the only reference can mutate it in place.
    mutating func take(_ index: Int, _ role: String) throws -> Tensor {
        let t = try required(index, role)
        self[index] = nil
        return t
    }
}

extension Tensor {
    /// Moves the float32 values out (leaving this tensor empty), so the caller may hold the only
    /// reference and mutate them without a copy. Returns [] for int64 tensors.
    mutating func takeFloats() -> [Float] {
        guard case .float32(let v) = storage else { return [] }
        storage = .float32([])
        return v
    }
}

/// A float buffer the caller fully overwrites (skips zero-filling large scratch such as im2col columns).
func scratchFloats(_ count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}
