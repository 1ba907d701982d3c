import CCPU
import Dispatch
import SparrowKernels
import SparrowKernelsAVX2

extension SparseLinearLayer {
    /// y[b·out + o] = Σ_i W[o][i]·x[b·in + i] for b in 0..<batch, computed on the packed form.
    /// Batch 1 visits only the columns whose activation is non-zero (or, when most are, reads the rows);
    /// larger batches run sparse × dense over tiles of up to 64 samples, unless their samples one by
    /// one cost less (a few samples of sparse inputs; see wordsIfSamplesCostLessSingly).
    public func apply(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>) {
        guard batch > 0 else { return }
        if batch == 1 {
            applySingle(x, into: y, threads: threads)
        } else if let words = wordsIfSamplesCostLessSingly(x, batch: batch) {
            for b in 0..<batch {
                applySingle(x + b &* inFeatures, into: y + b &* outFeatures, threads: threads, scatteredWords: words[b])
            }
        } else {
            applyBatched(x, batch: batch, into: y)
        }
        if !Self.allFinite(x, count: batch &* inFeatures) { propagateNonFiniteInputs(x, batch: batch, into: y) }
    }

    /// In dense arithmetic a pruned weight still meets its input: 0 · ±inf and 0 · NaN are NaN, so
    /// every output row whose weight on a non-finite input was pruned is NaN. The kernels skip
    /// pruned weights, so those rows are set here; rows with a stored weight (a filler's zero
    /// included) already got w · x from the kernels. Only inputs with a non-finite value pay for it.
    func propagateNonFiniteInputs(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>) {
        var stored = [Bool](repeating: false, count: outFeatures)
        for b in 0..<batch {
            for j in 0..<inFeatures where !x[b &* inFeatures &+ j].isFinite {
                stored.withUnsafeMutableBufferPointer { stored in
                    stored.update(repeating: false)
                    var row = -1
                    for p in Int(start[j])..<Int(start[j &+ 1]) {
                        let word = wordBytes == 1 ? Int(words.load(fromByteOffset: p, as: UInt8.self))
                                                  : Int(words.load(fromByteOffset: 2 &* p, as: UInt16.self))
                        row &+= (word >> codeBits) &+ 1
                        stored[row] = true
                    }
                    for r in 0..<outFeatures where !stored[r] { y[b &* outFeatures &+ r] = .nan }
                }
            }
        }
    }

    /// Whether every one of `count` floats is finite: x · 0 is 0 for finite x and NaN otherwise.
    static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        var acc = SIMD16<Float>()
        var i = 0
        while i &+ 16 <= count {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) * 0
            i &+= 16
        }
        var tail: Float = 0
        while i < count { tail += x[i] * 0; i &+= 1 }
        return acc.sum() == 0 && tail == 0
    }

    /// A stored word's axpy over a 16-sample tile in the batched kernel costs about this many words of
    /// the batch-1 scatter (engine alone, warm, two threads: Alex-7 3.1, VGG-7 1.6, VGG-8 1.9).
    static var batchedWordCost: Double { 2 }

    /// Each sample's expected scattered words if `batch` batch-1 applies cost less than one batched
    /// apply, nil if not: the words each sample's
    /// active columns scatter against batchedWork, in words of the scatter. Run singly, batches of 2
    /// and 4 were 1.4–4.1× faster on Alex-7, VGG-7 and VGG-8 (the batched kernel pays for 16 samples
    /// and every column); from 8 samples on the batched pass mostly wins. A sample that would read
    /// its rows (mostly non-zero inputs) sends the batch to the batched pass: one row pass per sample
    /// costs about half a batched pass of 16 (NT-We, NT-LSTM).
    ///
    /// Only below 16 samples (one batched tile): past that the singly applies would need under an
    /// eighth of the words per sample to win, and counting the words of 64 samples made
    /// LeNet-300-100 at batch 64 take 301–316 µs instead of 191–226 µs.
    func wordsIfSamplesCostLessSingly(_ x: UnsafePointer<Float>, batch: Int) -> [Int]? {
        guard batch < 16 else { return nil }
        let budget = Self.batchedWordCost * Double(batchedWork(batch: batch))
        var words: [Int] = []
        words.reserveCapacity(batch)
        var total = 0
        for b in 0..<batch {
            let sampleWords = expectedScatteredWords(x + b &* inFeatures)
            total &+= sampleWords
            if readsRows(scatteredWords: sampleWords) || Double(total) >= budget { return nil }
            words.append(sampleWords)
        }
        return words
    }

    // MARK: batch 1: skip zero activations

    /// Threads split the input columns into chunks of about equal stored words (`columnChunks`,
    /// fixed at load) and accumulate into private full-length outputs summed at the end (see
    /// accumulateInParallel): one pass over `outFeatures` floats per chunk, far less than each thread
    /// chasing its own scattered piece of every active column, which is what splitting rows (EIE's
    /// PEs) costs here. Each worker finds the non-zero inputs of its own chunk, so no pass over all
    /// of x precedes the work.
    /// `scatteredWords` is expectedScatteredWords(x) where the caller has counted it already.
    func applySingle(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, threads: Int,
                     scatteredWords: Int? = nil) {
        // Counting the non-zero inputs takes a microsecond or two; helpers woken now are spinning
        // when the chunks are handed out.
        if threads > 1 && storedWordCount >= 2 * minimumParallelWork { WorkerPool.shared.wake() }
        let scattered = scatteredWords ?? expectedScatteredWords(x)
        if readsRows(scatteredWords: scattered) {
            applyRowMajor(x, into: y, threads: threads)
        } else if threads == 1 || columnChunks.count < 3 || scattered < minimumParallelWork {
            y.initialize(repeating: 0, count: outFeatures)
            accumulateColumns(x, 0..<inFeatures, into: y)
        } else {
            accumulateInParallel(x, threads: threads, into: y)
        }
    }

    /// The words a batch-1 apply of the sample x visits, taking each of its non-zero inputs' columns
    /// at the layer's mean number of words: a count of x's non-zeros, not a pass over the columns'
    /// offsets.
    func expectedScatteredWords(_ x: UnsafePointer<Float>) -> Int {
        var nonZeroInputs = 0
        for base in stride(from: 0, to: inFeatures, by: 64) {
            nonZeroInputs &+= Self.nonZeroMask(x + base, count: min(64, inFeatures &- base)).nonzeroBitCount
        }
        return Int((Double(nonZeroInputs) * Double(storedWordCount) / Double(max(1, inFeatures))).rounded())
    }

    /// Stored words (fillers included) in the columns of the non-zero inputs: what a batch-1 apply
    /// scatters, or nil where it reads the rows instead (mostly non-zero inputs; see applySingle).
    public func scatteredWordCount(_ x: UnsafePointer<Float>) -> Int? {
        guard !readsRows(scatteredWords: expectedScatteredWords(x)) else { return nil }
        var total = 0
        for base in stride(from: 0, to: inFeatures, by: 64) {
            var bits = Self.nonZeroMask(x + base, count: min(64, inFeatures &- base))
            while bits != 0 {
                let i = base &+ bits.trailingZeroBitCount
                bits &= bits &- 1
                total &+= Int(start[i &+ 1]) &- Int(start[i])
            }
        }
        return total
    }

    /// Bit u set where x[u] != 0 (NaN included), for u < count ≤ 64.
    @inline(__always)
    static func nonZeroMask(_ x: UnsafePointer<Float>, count: Int) -> UInt64 {
        if count == 64 { return sparrow_nonzero_bits64(x) }
        var bits: UInt64 = 0
        for u in 0..<count where x[u] != 0 { bits |= 1 &<< UInt64(u) }
        return bits
    }

    /// y += W[:, columns]·x[columns]: the non-zero inputs among `columns`, found from a 64-bit mask
    /// at a time and a walk over its set bits (no branch per input to mispredict, and stores only
    /// for the non-zero ones), then their columns' words through the column kernel.
    func accumulateColumns(_ x: UnsafePointer<Float>, _ columns: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(1, columns.count)) { index in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, columns.count)) { value in
                let (index, value) = (index.baseAddress!, value.baseAddress!)
                var active = 0
                for base in stride(from: columns.lowerBound, to: columns.upperBound, by: 64) {
                    var bits = Self.nonZeroMask(x + base, count: min(64, columns.upperBound &- base))
                    while bits != 0 {
                        let i = base &+ bits.trailingZeroBitCount
                        bits &= bits &- 1
                        index[active] = Int32(truncatingIfNeeded: i)
                        value[active] = x[i]
                        active &+= 1
                    }
                }
                let kernel = kernels == .avx2 ? SparrowKernelsAVX2.SparseColumnKernel.accumulate
                                              : SparrowKernels.SparseColumnKernel.accumulate
                kernel(wordBytes, words, start, codeBits, gapBits, table, index, value, 0..<active, y)
            }
        }
    }

    /// Mostly non-zero inputs: reading every row (no zeros to skip, but no store per word either)
    /// costs less than scattering the active columns' `scatteredWords`.
    func readsRows(scatteredWords: Int) -> Bool {
        Double(scatteredWords) > Self.rowMajorCostRatio * Double(nonZeroCount &+ rowMajor.fillerCount)
    }

    /// A row-major word costs about this fraction of a column-major one at batch 1 (a gather and an
    /// add into a register, against a load, an add and a store into y); see applyRowMajor.
    static var rowMajorCostRatio: Double { 0.5 }

    /// Batch 1 over the row-major copy (CSR): y[o] = Σ codebook[code]·x[column] along row o's words.
    /// Rows are split over the workers in chunks of about equal words; each chunk writes its own
    /// rows, so the result does not depend on the split.
    func applyRowMajor(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, threads: Int) {
        let shared = UncheckedSendable((x, y))
        forEachRowChunk(work: Int(rowMajor.start[outFeatures]), threads: threads) { rows in
            self.accumulateRows(shared.value.0, rows, into: shared.value.1)
        }
    }

    /// Runs `body` over the output rows, split into chunks of about equal row-major words that the
    /// workers claim when `work` pays for the hand-off; chunks write disjoint rows.
    func forEachRowChunk(work: Int, threads: Int, _ body: @escaping (Range<Int>) -> Void) {
        let m = outFeatures
        guard threads > 1 && work >= minimumParallelWork && m > 1 else {
            body(0..<m)
            return
        }
        let total = Int(rowMajor.start[m])
        let chunks = min(m, 4 * threads)
        var bounds = [Int](repeating: m, count: chunks + 1)
        bounds[0] = 0
        var r = 0
        for c in 1..<chunks {
            let target = total * c / chunks
            while r < m && Int(rowMajor.start[r]) < target { r += 1 }
            bounds[c] = r
        }
        WorkRun.run(count: chunks, helpers: threads - 1) { c, _ in body(bounds[c]..<bounds[c + 1]) }
    }

    func accumulateRows(_ x: UnsafePointer<Float>, _ rows: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        let kernel = kernels == .avx2 ? SparrowKernelsAVX2.SparseRowKernel.accumulateSingle
                                      : SparrowKernels.SparseRowKernel.accumulateSingle
        kernel(rowMajor.wordBytes, rowMajor.words, rowMajor.start, codeBits, rowMajor.gapBits, table, x, rows, y)
    }

    /// Chunks of input columns, claimed by the workers. Chunk 0 adds straight into y, every other
    /// chunk into an output of its own, and those are added to y in chunk order at the end: whichever
    /// worker ran which chunk, the sums happen in the same order, so a result is the same on every
    /// run. Chunks shrink towards the end (see columnChunkBounds), so a worker on a slow or busy core
    /// holds up the end by a small chunk at most; the outputs, y included, are zeroed by the worker
    /// that claims the chunk.
    func accumulateInParallel(_ x: UnsafePointer<Float>, threads: Int, into y: UnsafeMutablePointer<Float>) {
        let m = outFeatures
        let chunks = columnChunks.count - 1
        Self.chunkOutputs.withBuffer(count: (chunks - 1) * m) { chunkOutputs in
            let shared = UncheckedSendable((x, y, chunkOutputs))
            WorkRun.run(count: chunks, helpers: threads - 1) { c, _ in
                let (x, y, chunkOutputs) = shared.value
                let out = c == 0 ? y : chunkOutputs + (c - 1) * m
                out.initialize(repeating: 0, count: m)
                self.accumulateColumns(x, self.columnChunks[c]..<self.columnChunks[c + 1], into: out)
            }
            Self.addChunkOutputs(chunkOutputs, count: chunks - 1, length: m, into: y)
        }
    }

    /// y[r] += outputs[r] + outputs[length + r] + … (`count` outputs, each added to y in turn as a
    /// loop per output would, so the result is the same), sixteen rows at a time: one pass over y
    /// instead of one per chunk. Alex-7's merge of ten outputs took 4.4 instead of 7.0 µs (warm
    /// medians, timed inside the call), a few per cent of the call.
    static func addChunkOutputs(_ outputs: UnsafePointer<Float>, count: Int, length: Int,
                                into y: UnsafeMutablePointer<Float>) {
        var r = 0
        while r &+ 16 <= length {
            var sum = UnsafeRawPointer(y + r).loadUnaligned(as: SIMD16<Float>.self)
            for c in 0..<count {
                sum += UnsafeRawPointer(outputs + (c &* length &+ r)).loadUnaligned(as: SIMD16<Float>.self)
            }
            UnsafeMutableRawPointer(y + r).storeBytes(of: sum, as: SIMD16<Float>.self)
            r &+= 16
        }
        while r < length {
            var sum = y[r]
            for c in 0..<count { sum += outputs[c &* length &+ r] }
            y[r] = sum
            r &+= 1
        }
    }

    /// Guided scheduling over the input columns, fixed at load: column bounds of chunks where each
    /// takes 1/(2·threads) of the stored words left, but no less than 1/(12·threads) of all of them
    /// (by the words every column holds; a call's non-zero inputs take about the same share of each).
    static func columnChunkBounds(start: UnsafePointer<UInt32>, columns n: Int, threads: Int) -> [Int] {
        let total = Int(start[n])
        guard threads > 1, n > 1, total > 0 else { return [0, n] }
        var bounds = [0]
        var done = 0
        var j = 0
        let smallest = max(1, total / (12 * threads))
        while done < total && j < n {
            let target = done + min(total - done, max(smallest, (total - done) / (2 * threads)))
            while j < n && Int(start[j]) < target { j += 1 }
            if j > bounds[bounds.count - 1] { bounds.append(j) }
            done = Int(start[j])
        }
        if bounds[bounds.count - 1] < n { bounds.append(n) }
        return bounds
    }

    /// Per-chunk outputs of batch-1 applies, reused from call to call.
    static let chunkOutputs = ScratchPool()
}

/// Carries a value the compiler cannot prove Sendable across a concurrentPerform whose iterations
/// touch disjoint memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
