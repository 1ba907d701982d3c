import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SparrowHTTP

/// A blocking loopback client on raw sockets, for live tests.
final class LiveSocket {
    let fd: Int32
    private var pending: [UInt8] = []

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(port: Int, ipv6: Bool = false) throws {
        fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var rc: Int32
        if ipv6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, "::1", &addr.sin6_addr)
            rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
            rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard rc == 0 else { let e = errno; Glibc.close(fd); throw Failure(description: "connect: errno \(e)") }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, $0.count - done, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            done += n
        }
    }

    /// Reads until `count` bytes are pending, the peer closes, or `timeout` passes.
    @discardableResult
    private func fill(timeout: Double, until done: ([UInt8]) -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !done(pending) {
            let left = end.timeIntervalSinceNow
            guard left > 0 else { return false }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(left * 1000) + 1) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return false }  // closed
            pending += buffer[..<n]
        }
        return true
    }

    /// The next complete response (Content-Length or chunked framing).
    func response(timeout: Double = 5, head: Bool = false) throws -> HTTPTestResponse {
        var parsed: HTTPTestResponse?
        var consumed = 0
        fill(timeout: timeout) { bytes in
            guard let end = Self.firstResponseEnd(bytes, head: head) else { return false }
            consumed = end
            parsed = try? HTTPTestResponse.parseAll(Array(bytes[..<end]), headRequest: head).last
            return true
        }
        guard let parsed else { throw Failure(description: "no complete response; got \(String(decoding: pending, as: UTF8.self).prefix(200))") }
        pending.removeFirst(consumed)
        return parsed
    }

    /// True if the server closes the connection within `timeout` (after any pending bytes).
    func closedByPeer(timeout: Double) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while end.timeIntervalSinceNow > 0 {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return true }
            pending += buffer[..<n]
        }
        return false
    }

    var leftover: String { String(decoding: pending, as: UTF8.self) }

    /// Where the first full non-interim response ends, if it has arrived.
    static func firstResponseEnd(_ bytes: [UInt8], head: Bool) -> Int? {
        var start = 0
        while true {
            let slice = bytes[start...]
            guard let headEnd = slice.firstRange(of: [13, 10, 13, 10])?.upperBound else { return nil }
            let headText = String(decoding: bytes[start..<headEnd], as: UTF8.self)
            let statusCode = Int(headText.split(separator: " ").dropFirst().first ?? "") ?? 0
            if statusCode >= 100 && statusCode < 200 { start = headEnd; continue }
            guard let all = try? HTTPTestResponse.parseAll(Array(bytes[start..<headEnd]), headRequest: true).first else { return nil }
            if head || statusCode == 204 || statusCode == 304 { return headEnd }
            if all.headers["Transfer-Encoding"]?.lowercased() == "chunked" {
                guard let end = bytes[headEnd...].firstRange(of: Array("\r\n0\r\n\r\n".utf8))?.upperBound
                        ?? (bytes[headEnd...].starts(with: Array("0\r\n\r\n".utf8)) ? headEnd + 5 : nil) else { return nil }
                return end
            }
            let length = Int(all.headers["Content-Length"] ?? "0") ?? 0
            return bytes.count >= headEnd + length ? headEnd + length : nil
        }
    }
}

/// Starts a server on a free loopback port with test-sized timeouts.
func startServer(_ responder: any HTTPResponder, host: String = "127.0.0.1",
                 configure: (inout HTTPConfiguration) -> Void = { _ in }) throws -> HTTPServer {
    var config = HTTPConfiguration(host: host, port: 0)
    config.accessLog = false
    config.timeouts.header = 1
    config.timeouts.bodyIdle = 1
    config.timeouts.keepAliveIdle = 2
    config.timeouts.sweepInterval = 0.05
    configure(&config)
    let server = HTTPServer(configuration: config, responder: responder)
    try server.start()
    return server
}
