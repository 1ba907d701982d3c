#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which call, and errno.
public struct SocketError: Error, Sendable, CustomStringConvertible {
    public let call: String
    public let errno: Int32
    public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
    /// The process (EMFILE) or the system (ENFILE) has no descriptor left.
    public var isOutOfDescriptors: Bool { errno == EMFILE || errno == ENFILE }
}

/// The one place system calls are made from: retries EINTR, turns -1 into `SocketError`.
@discardableResult
func syscall<T: BinaryInteger>(_ name: String, _ body: () -> T) throws(SocketError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SocketError(call: name, errno: code)
    }
}

/// Outcome of a non-blocking read or write.
enum IOResult: Equatable {
    case done(Int)
    case wouldBlock
    case closed
}

/// Thin wrappers over the socket calls the server needs; platform details stay in this file.
enum Socket {
    static func ignoreSIGPIPE() {
        // Writes use MSG_NOSIGNAL already; OpenSSL writes through write(2), which does not.
        signal(SIGPIPE, SIG_IGN)
    }

    /// A non-blocking listening socket bound to host:port.
    static func listen(host: String, port: Int, backlog: Int32) throws(SocketError) -> (fd: Int32, port: Int) {
        let host = host == "localhost" ? "127.0.0.1" : host
        let isV6 = host.contains(":")
        let fd = try syscall("socket") { socket(isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do throws(SocketError) {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if isV6 { try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, host == "::" ? 0 : 1) }
            if isV6 {
                var addr = sockaddr_in6()
                addr.sin6_family = sa_family_t(AF_INET6)
                addr.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
                guard inet_pton(AF_INET6, host, &addr.sin6_addr) == 1 else { throw SocketError(call: "inet_pton(\(host))", errno: EINVAL) }
                try bindAddress(fd, &addr)
            } else {
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
                guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { throw SocketError(call: "inet_pton(\(host))", errno: EINVAL) }
                try bindAddress(fd, &addr)
            }
            try syscall("listen") { Glibc.listen(fd, backlog) }
            return (fd, try boundPort(fd))
        } catch {
            close(fd)
            throw error
        }
    }

    static func boundPort(_ fd: Int32) throws(SocketError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try withUnsafeMutablePointer(to: &storage) { p throws(SocketError) in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SocketError) in
                _ = try syscall("getsockname") { getsockname(fd, sa, &length) }
            }
        }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { p in
            if family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    /// Accepts one pending connection (non-blocking, close-on-exec), or nil when none is waiting.
    static func accept(_ listener: Int32) throws(SocketError) -> (fd: Int32, peer: String)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd: Int32
        do throws(SocketError) {
            fd = try withUnsafeMutablePointer(to: &storage) { p throws(SocketError) in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SocketError) in
                    try syscall("accept") { Glibc.accept(listener, sa, &length) }
                }
            }
        } catch {
            // ECONNABORTED: the peer gave up while queued; EMFILE/ENFILE are reported to the caller.
            if error.errno == EAGAIN || error.errno == EWOULDBLOCK || error.errno == ECONNABORTED { return nil }
            throw error
        }
        // Glibc's module does not export accept4, so set the flags after accepting.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        try? setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        return (fd, describe(&storage))
    }

    static func describe(_ storage: inout sockaddr_storage) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { p -> String in
            if family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a in
                    var addr = a.pointee.sin6_addr
                    inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
                    return "[\(String(cString: text))]:\(UInt16(bigEndian: a.pointee.sin6_port))"
                }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
                var addr = a.pointee.sin_addr
                inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
                return "\(String(cString: text)):\(UInt16(bigEndian: a.pointee.sin_port))"
            }
        }
    }

    /// bind(2) with a sockaddr_in or sockaddr_in6, passing its own size.
    private static func bindAddress<Address>(_ fd: Int32, _ addr: inout Address) throws(SocketError) {
        try withUnsafePointer(to: &addr) { p throws(SocketError) in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SocketError) in
                _ = try syscall("bind") { bind(fd, sa, socklen_t(MemoryLayout<Address>.size)) }
            }
        }
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SocketError) {
        var v = value
        try syscall("setsockopt") { setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) }
    }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> IOResult {
        do throws(SocketError) {
            let n = try syscall("recv") { recv(fd, buffer.baseAddress, buffer.count, 0) }
            return n == 0 ? .closed : .done(n)
        } catch {
            if error.errno == EAGAIN || error.errno == EWOULDBLOCK { return .wouldBlock }
            if error.errno == ECONNRESET { return .closed }
            throw error
        }
    }

    static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SocketError) -> IOResult {
        do throws(SocketError) {
            return .done(try syscall("send") { send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) })
        } catch {
            if error.errno == EAGAIN || error.errno == EWOULDBLOCK { return .wouldBlock }
            if error.errno == EPIPE || error.errno == ECONNRESET { return .closed }
            throw error
        }
    }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Raises the soft open-file limit to the hard limit (servers with many connections need it).
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

extension Socket {
    /// A descriptor to hold in reserve for when the process runs out (see HTTPServer); -1 if none.
    static func openReserveDescriptor() -> Int32 { open("/dev/null", O_RDONLY | O_CLOEXEC) }
}
