import FoundationEssentials
import SparrowHTTP
import Glibc

/// A request body as the service receives it: in memory, or spooled to a file by the server.
public enum UploadBody: Sendable {
    case bytes([UInt8])
    case file(path: String, size: Int)

    var size: Int {
        switch self {
        case .bytes(let b): return b.count
        case .file(_, let size): return size
        }
    }

    /// Feeds the body to `sink` in chunks.
    func forEachChunk(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        switch self {
        case .bytes(let bytes):
            try bytes.withUnsafeBytes { try sink($0) }
        case .file(let path, _):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw ServiceError(500, "the uploaded body is gone") }
            defer { close(fd) }
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { chunk.deallocate() }
            while true {
                let n = read(fd, chunk.baseAddress, chunk.count)
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw ServiceError(500, "cannot read the uploaded body (errno \(errno))") }
                if n == 0 { break }
                try sink(UnsafeRawBufferPointer(rebasing: chunk[..<n]))
            }
        }
    }
}

extension ServiceCore {
    /// Content types an upload may carry as a raw body. curl's `--data-binary` sends
    /// application/x-www-form-urlencoded unless told otherwise, so that is accepted as raw too.
    static func isRawUploadType(_ type: String) -> Bool {
        let base = type.split(separator: ";").first.map { $0.trimmingOWS().lowercased() } ?? ""
        return ["", "application/octet-stream", "application/x-www-form-urlencoded", "application/onnx",
                "application/x-onnx", "application/x-protobuf", "application/protobuf", "application/zip",
                "application/x-npz", "application/x-zip-compressed"].contains(base)
    }

    /// Streams an upload (raw body, or the multipart field `file`) into an uncommitted blob.
    /// The caller validates the temporary file, then commits or aborts the writer.
    func receiveUpload(_ body: UploadBody, contentType: String?) throws -> BlobWriter {
        let limit = configuration.maxUploadBytes
        guard body.size <= limit + 64 * 1024 else {
            throw ServiceError(413, "the upload is \(body.size) bytes; the limit is \(limit)")
        }
        let writer = try blobs.makeWriter(limit: limit)
        do {
            let type = contentType ?? ""
            if type.lowercased().hasPrefix("multipart/form-data") {
                var parser: MultipartParser
                do { parser = try MultipartParser(boundary: MultipartParser.boundary(fromContentType: type)) } catch {
                    throw ServiceError.badRequest("\(error)")
                }
                var inFile = false
                var sawFile = false
                do {
                    try body.forEachChunk { chunk in
                        try parser.feed(chunk) { event in
                            switch event {
                            case .begin(let name, _, _):
                                inFile = name == "file" && !sawFile
                                sawFile = sawFile || inFile
                            case .data(let bytes): if inFile { try writer.append(bytes) }
                            case .end: inFile = false
                            }
                        }
                    }
                    try parser.finish()
                } catch let error as MultipartError {
                    throw ServiceError.badRequest("\(error)")
                }
                guard sawFile else { throw ServiceError.badRequest("the multipart body has no field named 'file'") }
            } else if ServiceCore.isRawUploadType(type) {
                try body.forEachChunk { try writer.append($0) }
            } else {
                throw ServiceError(415, "upload the file as the raw body (application/octet-stream) or as the multipart/form-data field 'file', not \(type)")
            }
            guard writer.byteCount > 0 else { throw ServiceError.badRequest("the upload is empty") }
            return writer
        } catch let error as BlobStoreError {
            writer.abort()
            if case .tooLarge(let limit) = error { throw ServiceError(413, "the upload exceeds the limit of \(limit) bytes") }
            throw ServiceError(500, "\(error)")
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Reads the uncommitted upload back for validation.
    func contents(of writer: BlobWriter) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: writer.temporaryPath) else {
            throw ServiceError(500, "cannot read back the upload")
        }
        return [UInt8](data)
    }

    /// Commits the blob and runs `insert` under the storage lock; on failure nothing is referenced
    /// and the file is left for garbage collection.
    func commit<T>(_ writer: BlobWriter, insert: (String, Int) throws -> T) throws -> T {
        storageLock.lock(); defer { storageLock.unlock() }
        let (digest, size) = try writer.commit()
        return try insert(digest, size)
    }
}
