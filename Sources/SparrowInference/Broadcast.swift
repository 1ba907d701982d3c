import SparrowModel

/// Multidirectional (numpy) broadcasting of two shapes, collapsed for fast loops: adjacent dims that
/// are contiguous in both operands are merged, so `[64,300] + [300]` becomes one outer loop of 64
/// over an inner contiguous row, and same-shape operands become a single flat loop.
struct BroadcastPlan {
    let outShape: [Int]
    let outCount: Int
    /// Collapsed output dims (outermost first) and each operand's element stride along them (0 = broadcast).
    let dims: [Int]
    let aStrides: [Int]
    let bStrides: [Int]

    init(_ a: [Int], _ b: [Int]) throws {
        let rank = Swift.max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            if pa[i] == pb[i] || pb[i] == 1 { out[i] = pa[i] }
            else if pa[i] == 1 { out[i] = pb[i] }
            else { throw RuntimeError("shapes \(a) and \(b) cannot be broadcast together") }
        }
        outShape = out
        outCount = try Tensor.checkedCount(out)
        func strides(_ s: [Int]) -> [Int] {
            var st = [Int](repeating: 0, count: rank)
            var acc = 1
            for i in stride(from: rank - 1, through: 0, by: -1) {
                st[i] = s[i] == 1 ? 0 : acc
                acc *= s[i]
            }
            return st
        }
        let sa = strides(pa), sb = strides(pb)
        var d: [Int] = [], da: [Int] = [], db: [Int] = []
        for i in 0..<rank where out[i] != 1 {
            if let last = d.last, da.last! == sa[i] * out[i], db.last! == sb[i] * out[i] {
                _ = last
                d[d.count - 1] *= out[i]
                da[da.count - 1] = sa[i]
                db[db.count - 1] = sb[i]
            } else {
                d.append(out[i]); da.append(sa[i]); db.append(sb[i])
            }
        }
        dims = d
        aStrides = da
        bStrides = db
    }

    /// Calls `f` on every result element: `o[i] = f(a[ia], b[ib])`.
    @inline(__always)
    func apply<T, U>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ o: UnsafeMutablePointer<U>,
                     _ f: (T, T) -> U) {
        guard outCount > 0 else { return }
        guard let n = dims.last else { o[0] = f(a[0], b[0]); return }
        let sa = aStrides.last!, sb = bStrides.last!
        let outer = dims.count - 1
        var counter = [Int](repeating: 0, count: outer)
        var offA = 0, offB = 0, offO = 0
        while true {
            let pa = a + offA, pb = b + offB, po = o + offO
            if sa == 1 && sb == 1 {
                for i in 0..<n { po[i] = f(pa[i], pb[i]) }
            } else if sa == 1 && sb == 0 {
                let y = pb[0]
                for i in 0..<n { po[i] = f(pa[i], y) }
            } else if sa == 0 && sb == 1 {
                let x = pa[0]
                for i in 0..<n { po[i] = f(x, pb[i]) }
            } else {
                for i in 0..<n { po[i] = f(pa[i * sa], pb[i * sb]) }
            }
            offO += n
            // Advance the outer counters (odometer), innermost outer dim first.
            var k = outer - 1
            while k >= 0 {
                counter[k] += 1
                offA += aStrides[k]
                offB += bStrides[k]
                if counter[k] < dims[k] { break }
                offA -= aStrides[k] * dims[k]
                offB -= bStrides[k] * dims[k]
                counter[k] = 0
                k -= 1
            }
            if k < 0 { return }
        }
    }
}

extension BroadcastPlan {
    /// `f` over every result element, into a new array.
    func map<T, U>(_ x: [T], _ y: [T], _ f: (T, T) -> U) -> [U] {
        [U](unsafeUninitializedCapacity: outCount) { o, n in
            x.withUnsafeBufferPointer { a in
                y.withUnsafeBufferPointer { b in
                    guard let oa = o.baseAddress, let aa = a.baseAddress, let ba = b.baseAddress else { return }
                    apply(aa, ba, oa, f)
                }
            }
            n = outCount
        }
    }

    /// The shape several operands broadcast to (numpy rules), or an error naming them.
    static func shape(_ shapes: [[Int]]) throws -> [Int] {
        try shapes.dropFirst().reduce(shapes.first ?? []) { try BroadcastPlan($0, $1).outShape }
    }
}
