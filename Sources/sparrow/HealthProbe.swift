#if canImport(Glibc)
import Glibc
#endif
import COpenSSL

/// One HTTP/1.1 GET against a local server, plain or over TLS, answering only the status code:
/// what a container HEALTHCHECK needs without shipping curl. Every step has a deadline.
struct HealthProbe {
    enum Failure: Error, CustomStringConvertible {
        case resolve(String)
        case connect(String)
        case tls(String)
        case io(String)
        case malformed(String)

        var description: String {
            switch self {
            case .resolve(let m): "cannot resolve \(m)"
            case .connect(let m): "cannot connect: \(m)"
            case .tls(let m): "TLS handshake failed: \(m)"
            case .io(let m): "I/O error: \(m)"
            case .malformed(let m): "not an HTTP response: \(m)"
            }
        }
    }

    var host: String
    var port: Int
    var tls: Bool
    /// Seconds for each of connect, send and receive.
    var timeout: Double

    /// The status code of `GET path`.
    func status(of path: String) throws(Failure) -> Int {
        let fd = try connect()
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: sparrow-healthcheck\r\nConnection: close\r\n\r\n".utf8)
        let head: [UInt8]
        if tls {
            head = try TLSExchange(fd: fd).exchange(request)
        } else {
            try sendAll(fd, request)
            head = try receiveStatusLine(fd)
        }
        return try Self.parseStatus(head)
    }

    /// "HTTP/1.1 200 OK\r\n..." → 200.
    static func parseStatus(_ bytes: [UInt8]) throws(Failure) -> Int {
        let line = String(decoding: bytes.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let code = Int(parts[1]) else {
            throw .malformed(String(line.prefix(80)))
        }
        return code
    }

    private func connect() throws(Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else { throw .resolve("\(host):\(port): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            cursor = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), ai.pointee.ai_protocol)
            if fd < 0 { lastError = String(cString: strerror(errno)); continue }
            // On Linux SO_SNDTIMEO also bounds connect(2); SO_RCVTIMEO bounds every read.
            var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            if Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 { return fd }
            lastError = "\(host):\(port): \(String(cString: strerror(errno)))"
            close(fd)
        }
        throw .connect(lastError)
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws(Failure) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("send: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    /// Reads until the end of the status line (or 1 KB, or the peer closes).
    private func receiveStatusLine(_ fd: Int32) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while out.count < 1024, !out.contains(10) {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("recv: \(String(cString: strerror(errno)))")
            }
            out += buffer[..<n]
        }
        return out
    }
}

/// The TLS side of the probe. The certificate is not verified: the probe talks to its own
/// container's server over loopback, where the question is liveness, not the peer's identity.
private struct TLSExchange {
    let fd: Int32

    func exchange(_ request: [UInt8]) throws(HealthProbe.Failure) -> [UInt8] {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw .tls(Self.lastError()) }
        defer { SSL_CTX_free(ctx) }
        guard let ssl = SSL_new(ctx) else { throw .tls(Self.lastError()) }
        defer { SSL_free(ssl) }
        SSL_set_fd(ssl, fd)
        guard SSL_connect(ssl) == 1 else { throw .tls(Self.lastError()) }
        defer { SSL_shutdown(ssl) }
        let written = request.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        guard written == Int32(request.count) else { throw .io("TLS write: \(Self.lastError())") }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while out.count < 1024, !out.contains(10) {
            let n = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if n <= 0 { break }
            out += buffer[..<Int(n)]
        }
        return out
    }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "connection closed (errno \(errno))" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
