import FoundationEssentials

/// One fc (or lowered conv) layer held EIE-style: the weights stay as codebook indices, stored column
/// by column (CSC) as packed words of (relative row index, code), and once more row by row (CSR).
///
/// The column-major form is EIE's: at batch 1 only the columns of non-zero activations are read,
/// each as one sequential run, and threads split the active columns. The row-major copy serves the
/// rest: batch 1 when most activations are non-zero (a gather with no store per word), and batches
/// and convolutions, where each row's sums stay in registers (SparseRowKernel). Threads split its
/// rows into contiguous chunks of about equal words. EIE interleaves rows over its processing
/// elements to balance them; on a CPU equal-word chunks balance as well, and contiguous rows keep
/// two threads from writing into the same cache lines of the output.
///
/// A word holds `codeBits` of codebook index in its low bits and `gapBits` of gap — the number of
/// zero rows (columns, in the row-major copy) skipped since the previous stored one — in its high
/// bits. A 16-entry codebook packs into one byte (4 + 4 bits, EIE's format); larger codebooks use
/// 16-bit words. Gaps longer than the field allows are bridged with filler words that point at a
/// zero weight.
///
/// Immutable after init; the raw buffers are owned by this object and freed in deinit.
public final class SparseLinearLayer: @unchecked Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    /// The most worker threads one apply uses (the caller included).
    public let threads: Int
    public let codeBits: Int
    public let gapBits: Int
    /// 1 or 2 bytes per stored word.
    public let wordBytes: Int
    /// Non-zero weights stored (fillers excluded).
    public let nonZeroCount: Int
    /// Filler words inserted where a gap exceeded the gap field.
    public let fillerCount: Int
    /// Work below which one apply stays on the calling thread: stored words visited at batch 1, stored
    /// words × 16-sample groups in batched applies (see batchedWork).
    public let minimumParallelWork: Int
    /// The compiled copy of the inner loops (SparrowKernels or SparrowKernelsAVX2) every apply runs.
    public let kernels: SparseKernelSet

    /// Shared-weight table indexed by the code field; `1 << codeBits` floats, unused slots are 0.
    let table: UnsafeMutablePointer<Float>
    /// inFeatures + 1 word offsets: column j is start[j] ..< start[j + 1].
    let start: UnsafeMutablePointer<UInt32>
    let words: UnsafeMutableRawPointer
    /// The same weights stored row by row (CSR): batches, convolutions, and batch-1 inputs that are
    /// mostly non-zero run on it.
    let rowMajor: PackedWords
    /// Column bounds of the batch-1 chunks for `threads` workers (see columnChunkBounds).
    let columnChunks: [Int]

    /// Stored words including fillers.
    public var storedWordCount: Int { nonZeroCount + fillerCount }

    /// The layer's compressed size: packed column-major words, column pointers and the codebook (the
    /// row-major copy holds the same weights again; see `rowMajorBytes`).
    public var packedBytes: Int {
        storedWordCount * wordBytes + (inFeatures + 1) * MemoryLayout<UInt32>.size
            + (1 << codeBits) * MemoryLayout<Float>.size
    }

    /// Bytes of the row-major copy (words and row pointers), held beside `packedBytes`.
    public var rowMajorBytes: Int {
        (nonZeroCount + rowMajor.fillerCount) * rowMajor.wordBytes + (outFeatures + 1) * MemoryLayout<UInt32>.size
    }

    /// A sensible default: one thread per core, at most 4.
    public static var defaultThreads: Int { max(1, min(4, ProcessInfo.processInfo.activeProcessorCount)) }

    init(outFeatures: Int, inFeatures: Int, threads: Int, codeBits: Int, gapBits: Int, wordBytes: Int,
         nonZeroCount: Int, fillerCount: Int, minimumParallelWork: Int, kernels: SparseKernelSet,
         table: UnsafeMutablePointer<Float>, start: UnsafeMutablePointer<UInt32>, words: UnsafeMutableRawPointer,
         rowMajor: PackedWords) {
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.threads = threads
        self.codeBits = codeBits
        self.gapBits = gapBits
        self.wordBytes = wordBytes
        self.nonZeroCount = nonZeroCount
        self.fillerCount = fillerCount
        self.minimumParallelWork = minimumParallelWork
        self.kernels = kernels
        self.table = table
        self.start = start
        self.words = words
        self.rowMajor = rowMajor
        columnChunks = Self.columnChunkBounds(start: start, columns: inFeatures, threads: threads)
    }

    /// Group g's words (a column, or a row of the row-major copy) are start[g] ..< start[g + 1]; a
    /// word's gap counts the zero rows (columns) skipped since the previous stored one.
    struct PackedWords {
        let start: UnsafeMutablePointer<UInt32>
        let words: UnsafeMutableRawPointer
        let wordBytes: Int
        let gapBits: Int
        let fillerCount: Int
    }

    deinit {
        table.deallocate()
        start.deallocate()
        words.deallocate()
        rowMajor.start.deallocate()
        rowMajor.words.deallocate()
    }
}
