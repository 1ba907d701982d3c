import Dispatch
import FoundationEssentials
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on POSIX sockets and Dispatch, with optional TLS.
///
///     let server = HTTPServer(configuration: .init(port: 0), responder: router)
///     try server.start()
///     print(server.port)
///     ...
///     server.shutdown(deadline: 5)
public final class HTTPServer: @unchecked Sendable {
    public let configuration: HTTPConfiguration
    public let responder: any HTTPResponder
    let logger: Logger

    private let state = Locked(State())
    private let acceptQueue = DispatchQueue(label: "sparrow.http.accept")
    private let stopped = DispatchSemaphore(value: 0)
    private let stopFlag = StopFlag()
    /// A descriptor held in reserve: when the process runs out, it is closed to accept (and refuse)
    /// one pending connection, so the level-triggered accept source does not spin on EMFILE and the
    /// client gets a 503 instead of waiting in the backlog.
    private let reserveDescriptor = Locked<Int32>(Socket.openReserveDescriptor())
    private let lastDescriptorWarning = Locked<UInt64>(0)

    private struct State {
        var listener: Int32 = -1
        var port = 0
        var acceptSource: (any DispatchSourceRead)?
        var sweepTimer: (any DispatchSourceTimer)?
        var connections: [ObjectIdentifier: HTTPConnection] = [:]
        var tls: TLSContext?
        var running = false
        var shuttingDown = false
        var signalSources: [any DispatchSourceSignal] = []
        var shutdownHandlers: [@Sendable () -> Void] = []
    }

    func keepSignalSources(_ sources: [any DispatchSourceSignal]) {
        state.withLock { $0.signalSources += sources }
    }

    /// Runs `handler` when a shutdown begins, after accepting stops and before the wait for open
    /// connections: the place to end long-lived responses (event streams) so they do not hold the
    /// shutdown to its deadline.
    public func onShutdown(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.shutdownHandlers.append(handler) }
    }

    public init(configuration: HTTPConfiguration, responder: any HTTPResponder,
                logger: Logger = Logger(label: "sparrow.http")) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
    }

    /// The bound port (useful with port 0); 0 before `start()`.
    public var port: Int { state.withLock { $0.port } }

    /// Open connections right now.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Binds, listens and starts accepting. Returns at once; requests are served on Dispatch.
    public func start() throws {
        Socket.ignoreSIGPIPE()
        let tls = try configuration.tls.map { try TLSContext($0) }
        let (fd, port) = try Socket.listen(host: configuration.host, port: configuration.port,
                                           backlog: configuration.backlog)
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: acceptQueue)
        source.setEventHandler { [weak self] in self?.acceptAll() }
        source.setCancelHandler { Socket.close(fd) }
        let timer = DispatchSource.makeTimerSource(queue: acceptQueue)
        let interval = max(configuration.timeouts.sweepInterval, 0.01)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.sweep() }
        state.withLock {
            $0.listener = fd
            $0.port = port
            $0.acceptSource = source
            $0.sweepTimer = timer
            $0.tls = tls
            $0.running = true
        }
        source.activate()
        timer.activate()
        logger.info("listening on \(configuration.host):\(port)\(tls == nil ? "" : " (TLS)")")
    }

    private func acceptAll() {
        while true {
            let accepted: (fd: Int32, peer: String)?
            do { accepted = try Socket.accept(state.withLock { $0.listener }) } catch {
                guard error.isOutOfDescriptors, refuseOneWithReserveDescriptor() else {
                    logger.warning("accept: \(error)")
                    return
                }
                warnOutOfDescriptors(error)
                continue
            }
            guard let (fd, peer) = accepted else { return }
            let (count, tls, stopping) = state.withLock { ($0.connections.count, $0.tls, $0.shuttingDown) }
            if count >= configuration.maxConnections || stopping {
                Self.refuse(fd)
                continue
            }
            let transport: any Transport
            if let tls {
                guard let t = try? TLSTransport(fd: fd, context: tls) else { Socket.close(fd); continue }
                transport = t
            } else {
                transport = PlainTransport(fd: fd)
            }
            let queue = DispatchQueue(label: "sparrow.http.connection", target: DispatchQueue.global())
            let session = HTTPSession(configuration: configuration, responder: responder, queue: queue,
                                      remoteAddress: peer, logger: configuration.accessLog ? logger : nil,
                                      serverStopping: stopFlag)
            let connection = HTTPConnection(fd: fd, transport: transport, session: session, queue: queue) {
                [weak self] closed in self?.remove(closed)
            }
            state.withLock { $0.connections[ObjectIdentifier(connection)] = connection }
            queue.async { connection.start() }
        }
    }

    /// Answers 503 on a just-accepted socket and closes it.
    private static func refuse(_ fd: Int32) {
        let busy = Array(("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            + "Content-Length: 32\r\nConnection: close\r\n\r\n{\"error\":\"too many connections\"}\n").utf8)
        _ = busy.withUnsafeBytes { try? Socket.write(fd, $0) }
        Socket.close(fd)
    }

    /// Out of descriptors: frees the reserve, accepts one pending connection, refuses it, and takes
    /// the reserve back. False when there was no reserve or nothing to accept.
    private func refuseOneWithReserveDescriptor() -> Bool {
        reserveDescriptor.withLock { reserve -> Bool in
            guard reserve >= 0 else { return false }
            Socket.close(reserve)
            defer { reserve = Socket.openReserveDescriptor() }
            guard let accepted = try? Socket.accept(state.withLock { $0.listener }) else { return false }
            Self.refuse(accepted.fd)
            return true
        }
    }

    /// At most one warning a second, not one per refused connection.
    private func warnOutOfDescriptors(_ error: SocketError) {
        let now = DispatchTime.now().uptimeNanoseconds
        let due = lastDescriptorWarning.withLock { last -> Bool in
            guard now - last > 1_000_000_000 || last == 0 else { return false }
            last = now
            return true
        }
        if due { logger.warning("accept: \(error); refusing new connections with 503 until descriptors free up") }
    }

    private func remove(_ connection: HTTPConnection) {
        let empty = state.withLock { s -> Bool in
            s.connections[ObjectIdentifier(connection)] = nil
            return s.connections.isEmpty && s.shuttingDown
        }
        if empty { stopped.signal() }
    }

    private func sweep() {
        let now = DispatchTime.now().uptimeNanoseconds
        for connection in state.withLock({ Array($0.connections.values) }) {
            connection.queue.async { connection.checkTimeout(now: now) }
        }
    }

    /// Stops accepting, lets in-flight requests finish (idle connections close at once, streams
    /// are told the client is going away) and force-closes whatever is left after `deadline`
    /// seconds. Blocks until every connection is closed. Safe to call more than once.
    public func shutdown(deadline: Double = 10) {
        let (source, connections, first, handlers) = state.withLock { s in
            let first = s.running && !s.shuttingDown
            s.shuttingDown = true
            let source = s.acceptSource
            s.acceptSource = nil
            return (source, Array(s.connections.values), first, s.shutdownHandlers)
        }
        guard first else { return }
        stopFlag.set()
        source?.cancel()
        for handler in handlers { handler() }
        for connection in connections { connection.queue.async { connection.beginShutdown() } }
        if !connections.isEmpty, stopped.wait(timeout: .now() + deadline) == .timedOut {
            let left = state.withLock { Array($0.connections.values) }
            logger.warning("shutdown deadline passed; closing \(left.count) connection(s)")
            for connection in left { connection.queue.async { connection.session.abandon(); connection.close() } }
            _ = stopped.wait(timeout: .now() + 2)
        }
        state.withLock {
            $0.sweepTimer?.cancel()
            $0.sweepTimer = nil
            $0.running = false
        }
        logger.info("stopped")
        finished.signal()
    }

    private let finished = DispatchSemaphore(value: 0)

    /// Blocks until `shutdown` has completed.
    public func waitUntilStopped() {
        finished.wait()
        finished.signal()
    }
}
