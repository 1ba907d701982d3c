import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Errors of the content-addressed file store.
public enum BlobStoreError: Error, CustomStringConvertible, Equatable {
    case io(String, errno: Int32)
    case tooLarge(limit: Int)
    case invalidDigest(String)

    public var description: String {
        switch self {
        case .io(let what, let code): return "\(what): \(String(cString: strerror(code)))"
        case .tooLarge(let limit): return "upload exceeds the limit of \(limit) bytes"
        case .invalidDigest(let d): return "not a SHA-256 digest: \(d)"
        }
    }
}

/// Files addressed by their SHA-256, under `root/ab/abcdef…`.
///
/// A file is written to `root/tmp/`, fsynced, renamed into place and its directory fsynced, so a
/// crash at any moment leaves either no file or a whole one under its digest — never a partial one.
public final class BlobStore: Sendable {
    public let root: String
    private let tmpDir: String

    public init(root: String) throws {
        self.root = root
        tmpDir = root + "/tmp"
        try BlobStore.makeDirectory(root)
        try BlobStore.makeDirectory(tmpDir)
    }

    /// True when `s` is 64 lowercase hex digits; only such strings ever become paths.
    public static func isDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// The path of a stored blob (whether or not it exists).
    public func path(of digest: String) throws -> String {
        guard BlobStore.isDigest(digest) else { throw BlobStoreError.invalidDigest(digest) }
        return "\(root)/\(digest.prefix(2))/\(digest)"
    }

    public func contains(_ digest: String) -> Bool {
        guard let p = try? path(of: digest) else { return false }
        return access(p, F_OK) == 0
    }

    /// Size in bytes of a stored blob, nil when absent.
    public func size(of digest: String) -> Int? {
        guard let p = try? path(of: digest) else { return nil }
        var st = stat()
        return stat(p, &st) == 0 ? Int(st.st_size) : nil
    }

    /// Starts a streaming write; call `append` then `commit` (or `abort`).
    public func makeWriter(limit: Int = Int.max) throws -> BlobWriter {
        try BlobWriter(store: self, directory: tmpDir, limit: limit)
    }

    /// Stores a whole buffer and returns its digest.
    @discardableResult
    public func put(_ bytes: [UInt8]) throws -> String {
        let writer = try makeWriter()
        do {
            try bytes.withUnsafeBytes { try writer.append($0) }
            return try writer.commit().digest
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Reads a whole blob into memory.
    public func read(_ digest: String) throws -> [UInt8] {
        let p = try path(of: digest)
        guard let data = FileManager.default.contents(atPath: p) else {
            throw BlobStoreError.io("cannot read blob \(digest)", errno: ENOENT)
        }
        return [UInt8](data)
    }

    /// Removes a blob; a missing one is not an error.
    public func remove(_ digest: String) throws {
        let p = try path(of: digest)
        if unlink(p) != 0 && errno != ENOENT { throw BlobStoreError.io("cannot remove \(p)", errno: errno) }
    }

    /// Every stored digest (for garbage collection).
    public func allDigests() -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        for dir in (try? fm.contentsOfDirectory(atPath: root)) ?? [] where dir.utf8.count == 2 {
            for name in (try? fm.contentsOfDirectory(atPath: root + "/" + dir)) ?? []
            where BlobStore.isDigest(name) && name.hasPrefix(dir) {
                out.append(name)
            }
        }
        return out
    }

    /// Total bytes of all stored blobs.
    public func totalBytes() -> Int {
        allDigests().reduce(0) { $0 + (size(of: $1) ?? 0) }
    }

    /// Deletes leftovers of writes a crash interrupted.
    public func removeTemporaryFiles() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] {
            unlink(tmpDir + "/" + name)
        }
    }

    fileprivate func install(temporary: String, digest: String) throws {
        let dir = "\(root)/\(digest.prefix(2))"
        try BlobStore.makeDirectory(dir)
        let final = try path(of: digest)
        guard rename(temporary, final) == 0 else {
            let code = errno
            unlink(temporary)
            throw BlobStoreError.io("cannot rename into \(final)", errno: code)
        }
        try BlobStore.syncDirectory(dir)
    }

    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw BlobStoreError.io("cannot create directory \(path)", errno: errno)
        }
        // A fresh directory entry must itself reach the disk before files inside it count.
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        let parent = trimmed.lastIndex(of: "/").map { $0 == trimmed.startIndex ? "/" : String(trimmed[..<$0]) } ?? ""
        try syncDirectory(parent.isEmpty ? "." : parent)
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw BlobStoreError.io("cannot open directory \(path)", errno: errno) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw BlobStoreError.io("cannot fsync directory \(path)", errno: errno) }
    }
}

/// A streaming write into the store: bytes are hashed as they go to a temporary file.
public final class BlobWriter {
    private let store: BlobStore
    private let temporary: String
    private var fd: Int32
    private let hasher = SHA256Hasher()
    private let limit: Int
    public private(set) var byteCount = 0
    private var finished = false

    fileprivate init(store: BlobStore, directory: String, limit: Int) throws {
        self.store = store
        self.limit = limit
        var template = Array("\(directory)/upload-XXXXXX".utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw BlobStoreError.io("cannot create a temporary file in \(directory)", errno: errno) }
        temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { abort() }

    /// The temporary file's path while writing (e.g. to parse an upload before committing it).
    public var temporaryPath: String { temporary }

    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { return }
        guard byteCount + bytes.count <= limit else { throw BlobStoreError.tooLarge(limit: limit) }
        hasher.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw BlobStoreError.io("cannot write \(temporary)", errno: errno)
            }
            offset += n
        }
        byteCount += bytes.count
    }

    public func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    /// Flushes the data to disk and moves the file under its digest.
    public func commit() throws -> (digest: String, size: Int) {
        guard !finished else { throw BlobStoreError.io("writer already finished", errno: EINVAL) }
        finished = true
        let digest = hasher.finalize()
        if fsync(fd) != 0 {
            let code = errno
            close(fd); unlink(temporary)
            throw BlobStoreError.io("cannot fsync \(temporary)", errno: code)
        }
        close(fd)
        fd = -1
        if store.contains(digest) {
            unlink(temporary)  // same content already stored
        } else {
            try store.install(temporary: temporary, digest: digest)
        }
        return (digest, byteCount)
    }

    /// Drops the temporary file.
    public func abort() {
        guard !finished else { return }
        finished = true
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporary)
    }
}
