import COpenSSL

/// A connection's byte stream: plain TCP or TLS over it. Non-blocking; confined to the
/// connection's serial queue.
protocol Transport: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> IOResult
    func write(_ buffer: UnsafeRawBufferPointer) throws(SocketError) -> IOResult
    /// Releases what the transport holds (not the descriptor).
    func close()
}

final class PlainTransport: Transport {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> IOResult {
        try Socket.read(fd, into: buffer)
    }
    func write(_ buffer: UnsafeRawBufferPointer) throws(SocketError) -> IOResult { try Socket.write(fd, buffer) }
    func close() {}
}

/// TLS on the socket through OpenSSL. The handshake runs inside the first reads and writes
/// (accept state); WANT_READ / WANT_WRITE map to `.wouldBlock`.
final class TLSTransport: Transport {
    private var ssl: OpaquePointer?

    init(fd: Int32, context: TLSContext) throws(TLSError) {
        guard let ssl = SSL_new(context.context) else { throw .openSSL("SSL_new failed") }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            throw .openSSL("SSL_set_fd failed")
        }
        SSL_set_accept_state(ssl)
        self.ssl = ssl
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> IOResult {
        guard let ssl else { return .closed }
        let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        return n > 0 ? .done(Int(n)) : outcome(ssl, n)
    }

    func write(_ buffer: UnsafeRawBufferPointer) throws(SocketError) -> IOResult {
        guard let ssl else { return .closed }
        let n = SSL_write(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        return n > 0 ? .done(Int(n)) : outcome(ssl, n)
    }

    private func outcome(_ ssl: OpaquePointer, _ n: Int32) -> IOResult {
        switch SSL_get_error(ssl, n) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wouldBlock
        default:
            // A failed handshake or a reset: nothing more can be exchanged.
            ERR_clear_error()
            return .closed
        }
    }

    func close() {
        guard let ssl else { return }
        _ = SSL_shutdown(ssl)  // best-effort close_notify; the socket is non-blocking
        ERR_clear_error()
        SSL_free(ssl)
        self.ssl = nil
    }
}
