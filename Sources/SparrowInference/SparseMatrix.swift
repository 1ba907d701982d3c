/// The neutral form of one compressed layer, independent of any file format: a weight matrix of
/// `outFeatures` rows and `inFeatures` columns (y = W·x) whose non-zero weights are given as
/// (row, column, codebook index). Tests, benchmarks and the artifact loader all build the sparse
/// engine from this form; nothing here is ever expanded into a dense float matrix.
public struct SparseMatrix: Sendable, Equatable {
    public struct Entry: Sendable, Hashable {
        public var row: Int32
        public var column: Int32
        public var code: Int32

        public init(row: Int, column: Int, code: Int) {
            self.row = Int32(truncatingIfNeeded: row)
            self.column = Int32(truncatingIfNeeded: column)
            self.code = Int32(truncatingIfNeeded: code)
        }
    }

    public let outFeatures: Int
    public let inFeatures: Int
    /// Shared weights; an entry's weight is `codebook[entry.code]`.
    public let codebook: [Float]
    /// Non-zero positions in any order. Entries whose shared weight is 0 (Deep Compression's filler
    /// entries) are allowed and contribute nothing.
    public let entries: [Entry]

    /// Validates every index, so that the kernels built from this matrix never read or write out of
    /// bounds.
    public init(outFeatures: Int, inFeatures: Int, codebook: [Float], entries: [Entry]) throws(SparseEngineError) {
        guard outFeatures > 0, inFeatures > 0, outFeatures <= Int(Int32.max), inFeatures <= Int(Int32.max) else {
            throw .invalidShape(outFeatures: outFeatures, inFeatures: inFeatures)
        }
        guard !codebook.isEmpty else { throw .emptyCodebook }
        guard codebook.allSatisfy(\.isFinite) else { throw .nonFiniteCodebook }
        for e in entries {
            guard e.row >= 0, Int(e.row) < outFeatures, e.column >= 0, Int(e.column) < inFeatures else {
                throw .entryOutOfRange(row: Int(e.row), column: Int(e.column),
                                       outFeatures: outFeatures, inFeatures: inFeatures)
            }
            guard e.code >= 0, Int(e.code) < codebook.count else {
                throw .codeOutOfRange(code: Int(e.code), codebookCount: codebook.count)
            }
        }
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.codebook = codebook
        self.entries = entries
    }
}

/// Why a sparse layer could not be built or run.
public enum SparseEngineError: Error, Equatable, CustomStringConvertible {
    case invalidShape(outFeatures: Int, inFeatures: Int)
    case emptyCodebook
    case nonFiniteCodebook
    case entryOutOfRange(row: Int, column: Int, outFeatures: Int, inFeatures: Int)
    case codeOutOfRange(code: Int, codebookCount: Int)
    case duplicateEntry(row: Int, column: Int)
    case codebookTooLarge(count: Int)
    case invalidThreadCount(Int)
    case layerTooLarge(words: Int)
    case unsupportedKernels(String)

    public var description: String {
        switch self {
        case let .invalidShape(o, i): return "sparse layer shape \(o)×\(i) is not positive"
        case .emptyCodebook: return "sparse layer has an empty codebook"
        case .nonFiniteCodebook: return "sparse layer codebook holds a non-finite value"
        case let .entryOutOfRange(r, c, o, i):
            return "sparse entry (\(r), \(c)) lies outside the \(o)×\(i) weight matrix"
        case let .codeOutOfRange(code, n): return "sparse entry code \(code) is outside the \(n)-entry codebook"
        case let .duplicateEntry(r, c): return "sparse entry (\(r), \(c)) appears twice"
        case let .codebookTooLarge(n): return "codebook of \(n) entries does not fit a 15-bit code"
        case let .invalidThreadCount(n): return "thread count \(n) must be between 1 and 64"
        case let .layerTooLarge(n): return "sparse layer needs \(n) words in one slice, more than 32-bit offsets address"
        case let .unsupportedKernels(name): return "this CPU cannot run the \(name) kernels"
        }
    }
}
