import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Collects a request body: in memory up to a threshold, then in a temporary file, so uploads of
/// hundreds of MiB never sit in memory.
struct RequestBodySpool {
    private let threshold: Int
    private let directory: String
    private var memory: [UInt8] = []
    private var fd: Int32 = -1
    private(set) var path: String?
    private(set) var size = 0

    init(threshold: Int, directory: String) {
        self.threshold = threshold
        self.directory = directory
    }

    mutating func append(_ bytes: [UInt8]) throws(HTTPError) {
        size += bytes.count
        if fd < 0 && memory.count + bytes.count <= threshold {
            memory.append(contentsOf: bytes)
            return
        }
        if fd < 0 { try openFile() }
        try writeAll(memory)
        memory = []
        try writeAll(bytes)
    }

    /// The finished body; the file (if any) now belongs to the request.
    mutating func finish() -> HTTPRequest.Body {
        if fd >= 0 {
            close(fd)
            fd = -1
            if let path { return .file(path: path, size: size) }
        }
        return size == 0 ? .none : .memory(memory)
    }

    /// Abandons the body, deleting a spool file.
    mutating func discard() {
        if fd >= 0 { close(fd); fd = -1 }
        if let path { unlink(path) }
        path = nil
        memory = []
    }

    private mutating func openFile() throws(HTTPError) {
        var template = Array((directory.hasSuffix("/") ? directory : directory + "/").utf8CString.dropLast())
            + Array("sparrow-body-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard created >= 0 else {
            throw HTTPError(.internalServerError, "cannot create a spool file in \(directory)")
        }
        fd = created
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func writeAll(_ bytes: [UInt8]) throws(HTTPError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw HTTPError(.internalServerError, "cannot write the spooled request body") }
            done += n
        }
    }
}
