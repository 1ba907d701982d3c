#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Whole-file reads and writes with errors that name the path and the reason (the C library's
/// message for errno). POSIX calls rather than Foundation's Data(contentsOf:), whose error texts
/// would need FoundationInternationalization (ICU) to read.
public enum FileIO {
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ModelError(.io, errno == ENOENT ? "cannot read \(path): no such file" : "cannot read \(path): \(reason())")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ModelError(.io, "cannot read \(path): \(reason())") }
        guard info.st_mode & S_IFMT != S_IFDIR else { throw ModelError(.io, "cannot read \(path): it is a directory") }
        // The size is a hint (the file may change under us); reading runs to end of file regardless.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(0, Int(info.st_size)))
        let chunk = 1 << 20
        while true {
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: chunk))
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + start, chunk) }
            if n < 0 && errno == EINTR { bytes.removeLast(chunk); continue }
            guard n >= 0 else { throw ModelError(.io, "cannot read \(path): \(reason())") }
            bytes.removeLast(chunk - n)
            if n == 0 { return bytes }
        }
    }

    /// Reads `path` and decodes it; a format error (anything but `.io`, which already names the
    /// path) is rethrown with the path in front of its message.
    public static func decode<T>(_ path: String, with decode: ([UInt8]) throws -> T) throws -> T {
        do {
            return try decode(read(path))
        } catch let error as ModelError where error.kind != .io {
            throw ModelError(error.kind, "\(path): \(error.message)")
        }
    }

    /// Writes atomically (temporary file + rename), so readers never see a half-written file. A
    /// symlink is followed (the file it names is replaced, not the link); an existing device, FIFO
    /// or socket (`/dev/null`, a pipe) is written through in place, since renaming over it would
    /// replace it with a regular file.
    public static func write(_ bytes: [UInt8], to requested: String) throws {
        // stat follows links, /proc's magic ones too (/dev/stdout → pipe:[…]), which readlink cannot.
        var existing = stat()
        if stat(requested, &existing) == 0 {
            switch existing.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: throw ModelError(.io, "cannot write \(requested): it is a directory")
            default: return try writeThrough(bytes, to: requested, named: requested)
            }
        }
        let path = try followLinks(requested)
        let directory = directory(of: path)
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw ModelError(.io, "cannot write \(path): directory \(directory) does not exist")
        }
        // Unique per call, so two writers of the same path never share a temporary file.
        let temporary = "\(path).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ModelError(.io, "cannot write \(path): \(reason())") }
        var failure = writeAll(bytes, to: fd)
        if failure == nil && fsync(fd) != 0 { failure = reason() }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 { failure = reason() }
        if let failure {
            unlink(temporary)
            throw ModelError(.io, "cannot write \(path): \(failure)")
        }
    }

    /// The path a chain of symlinks ends at (which need not exist yet).
    static func followLinks(_ path: String) throws -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { throw ModelError(.io, "cannot write \(path): \(reason())") }
            let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if target.hasPrefix("/") {
                current = target
            } else if let slash = current.lastIndex(of: "/") {
                current = String(current[...slash]) + target
            } else {
                current = target
            }
        }
        throw ModelError(.io, "cannot write \(path): too many levels of symbolic links")
    }

    private static func writeThrough(_ bytes: [UInt8], to path: String, named requested: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ModelError(.io, "cannot write \(requested): \(reason())") }
        defer { close(fd) }
        if let failure = writeAll(bytes, to: fd) { throw ModelError(.io, "cannot write \(requested): \(failure)") }
    }

    /// Writes every byte (retrying EINTR and short writes); the reason on failure.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> String? {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return reason() }
                offset += n
            }
            return nil
        }
    }

    /// The directory a file path lies in ("." for a bare name, "/" for a file at the root).
    public static func directory(of path: String) -> String {
        let slash = path.lastIndex(of: "/")
        return slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    }

    /// Whether `a` and `b` name one existing file (the same device and inode, through links).
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        var x = stat(), y = stat()
        guard stat(a, &x) == 0, stat(b, &y) == 0 else { return false }
        return x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }

    private static func reason() -> String { String(cString: strerror(errno)) }
}
