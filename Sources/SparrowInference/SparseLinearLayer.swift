import FoundationEssentials

/// One fc (or lowered conv) layer held EIE-style: the weights stay as codebook indices, stored column
/// by column (CSC) as packed words of (relative row index, code), one CSC per worker thread over the
/// rows of that slice (row r belongs to slice r mod slices, as EIE interleaves rows over PEs). There
/// are two slices per worker thread, claimed dynamically during an apply.
///
/// A word holds `codeBits` of codebook index in its low bits and `gapBits` of gap — the number of
/// zero rows skipped since the previous stored row of the column — in its high bits. A 16-entry
/// codebook packs into one byte (4 + 4 bits, EIE's format); larger codebooks use 16-bit words. Gaps
/// longer than the field allows are bridged with filler words that point at a zero weight.
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
    /// Stored words × samples below which one apply stays on the calling thread.
    public let minimumParallelWork: Int

    /// Shared-weight table indexed by the code field; `1 << codeBits` floats, unused slots are 0.
    let table: UnsafeMutablePointer<Float>
    let slices: [Slice]

    /// One slice: the CSC of rows t, t + slices, t + 2·slices, ...
    struct Slice: @unchecked Sendable {
        let thread: Int
        let localRows: Int
        /// inFeatures + 1 offsets into `words`.
        let columnStart: UnsafeMutablePointer<UInt32>
        let words: UnsafeMutableRawPointer
    }

    /// Row-interleaved slices (1 for one thread, else two per thread).
    public var sliceCount: Int { slices.count }

    /// Stored words including fillers, over all slices.
    public var storedWordCount: Int { nonZeroCount + fillerCount }

    /// Bytes the engine reads for a full pass: packed words, column pointers and the codebook.
    public var packedBytes: Int {
        storedWordCount * wordBytes + slices.count * (inFeatures + 1) * MemoryLayout<UInt32>.size
            + (1 << codeBits) * MemoryLayout<Float>.size
    }

    /// A sensible default: one slice per core, at most 4.
    public static var defaultThreads: Int { max(1, min(4, ProcessInfo.processInfo.activeProcessorCount)) }

    init(outFeatures: Int, inFeatures: Int, threads: Int, codeBits: Int, gapBits: Int, wordBytes: Int,
         nonZeroCount: Int, fillerCount: Int, minimumParallelWork: Int, table: UnsafeMutablePointer<Float>, slices: [Slice]) {
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.threads = threads
        self.codeBits = codeBits
        self.gapBits = gapBits
        self.wordBytes = wordBytes
        self.nonZeroCount = nonZeroCount
        self.fillerCount = fillerCount
        self.minimumParallelWork = minimumParallelWork
        self.table = table
        self.slices = slices
    }

    deinit {
        table.deallocate()
        for s in slices {
            s.columnStart.deallocate()
            s.words.deallocate()
        }
    }
}
