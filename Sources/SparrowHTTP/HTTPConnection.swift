import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A live connection: a socket (plain or TLS) driven by Dispatch read/write sources on its own
/// serial queue, feeding an `HTTPSession`. All state is confined to `queue`.
final class HTTPConnection: @unchecked Sendable {
    let fd: Int32
    let queue: DispatchQueue
    let session: HTTPSession
    private let transport: any Transport
    private let readSource: any DispatchSourceRead
    private var writeSource: (any DispatchSourceWrite)?
    private var writeSourceRunning = false
    private var readSuspended = false
    private var closing = false
    private var pendingCancels = 0
    private let onClosed: @Sendable (HTTPConnection) -> Void
    /// Pipelined input held back (behind a stream or queued output) beyond this is not read.
    static let maxBufferedInput = 1 << 20

    init(fd: Int32, transport: any Transport, session: HTTPSession, queue: DispatchQueue,
         onClosed: @escaping @Sendable (HTTPConnection) -> Void) {
        self.fd = fd
        self.transport = transport
        self.session = session
        self.queue = queue
        self.onClosed = onClosed
        self.readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
    }

    func start() {
        session.onOutput = { [unowned self] in self.flush() }
        readSource.setEventHandler { [unowned self] in self.readable() }
        readSource.setCancelHandler { [self] in self.sourceCancelled() }
        pendingCancels = 1
        readSource.activate()
    }

    private func readable() {
        guard !closing else { return }
        withUnsafeTemporaryAllocation(byteCount: 64 * 1024, alignment: 16) { buffer in
            while !closing {
                let result: IOResult
                do { result = try transport.read(into: buffer) } catch { result = .closed }
                switch result {
                case .done(let n):
                    session.receive(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
                    if session.isHoldingInput && session.bufferedInput > Self.maxBufferedInput {
                        readSource.suspend()
                        readSuspended = true
                        return
                    }
                case .wouldBlock:
                    // Rare: TLS needs to send before it can read on; writability resumes reading.
                    if transport.readWaitsForWritable { startWriteSource() }
                    return
                case .closed:
                    // Answers to complete requests are already queued (a client may half-close after
                    // sending): stop reading, send them, then close.
                    session.peerClosed()
                    if !readSuspended { readSource.suspend(); readSuspended = true }
                    flush()
                    return
                }
            }
        }
    }

    /// Writes what the session queued until the socket would block; then waits for writability.
    func flush() {
        guard !closing else { return }
        var failed = false
        let completed = session.output.drain { bytes in
            let result: IOResult
            do { result = try transport.write(bytes) } catch { result = .closed }
            switch result {
            case .done(let n): return n
            case .wouldBlock: return 0
            case .closed: failed = true; return nil
            }
        }
        if failed || !completed { session.abandon(); close(); return }
        session.outputProgressed()
        if !session.output.isEmpty {
            startWriteSource()
            return
        }
        stopWriteSource()
        // A stream on a connection that closes after it has only sent its head so far.
        if (session.closeAfterOutput && !session.isBusy) || session.isClosed {
            close()
        } else if readSuspended && !session.isHoldingInput {
            readSuspended = false
            readSource.resume()
            queue.async { [self] in self.readable() }  // TLS may hold decrypted bytes already
        }
    }

    private func startWriteSource() {
        if writeSource == nil {
            let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [unowned self] in
                self.flush()
                if self.transport.readWaitsForWritable { self.readable() }
            }
            source.setCancelHandler { [self] in self.sourceCancelled() }
            pendingCancels += 1
            writeSource = source
            source.activate()
            writeSourceRunning = true
        } else if !writeSourceRunning {
            writeSource?.resume()
            writeSourceRunning = true
        }
    }

    private func stopWriteSource() {
        if writeSourceRunning {
            writeSource?.suspend()
            writeSourceRunning = false
        }
    }

    func checkTimeout(now: UInt64) {
        guard !closing else { return }
        switch session.expiry(now: now) {
        case .none: break
        case .closeSilently: session.abandon(); close()
        case .requestTimeout: session.timeOut()
        }
    }

    func beginShutdown() {
        guard !closing else { return }
        session.beginShutdown()
    }

    /// Closes now; the descriptor is closed once every Dispatch source on it has been cancelled.
    func close() {
        guard !closing else { return }
        closing = true
        if readSuspended { readSource.resume(); readSuspended = false }
        readSource.cancel()
        if let writeSource {
            if !writeSourceRunning { writeSource.resume(); writeSourceRunning = true }
            writeSource.cancel()
        }
    }

    private func sourceCancelled() {
        pendingCancels -= 1
        guard pendingCancels == 0 else { return }
        // A stream producer may still hold the session; it must not reach this connection.
        session.onOutput = {}
        session.abandon()
        transport.close()
        Socket.close(fd)
        writeSource = nil
        onClosed(self)
    }
}
