import Dispatch
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One connection's HTTP/1.1 state machine, without sockets: bytes in (`receive`), bytes out
/// (`output`, drained by the owner). Requests are answered strictly in order; a streamed response
/// holds later pipelined requests back until it finishes. Confined to `queue` (the connection's
/// serial queue): every method must be called there.
final class HTTPSession: @unchecked Sendable {
    let configuration: HTTPConfiguration
    let responder: any HTTPResponder
    let queue: DispatchQueue
    let remoteAddress: String?
    let logger: Logger?
    /// Set by the server when it begins shutting down (read from any connection's queue).
    let serverStopping: StopFlag

    private var parser: HTTPRequestParser
    var output = OutputQueue()
    /// Set when the connection must close once `output` is drained.
    private(set) var closeAfterOutput = false
    /// Set when nothing more may be written (peer gone or forced close).
    private(set) var isClosed = false
    /// Owner's hook: output is waiting (also called from stream writers, on `queue`).
    var onOutput: () -> Void = {}

    private var incoming: (head: HTTPRequestHead, spool: RequestBodySpool, started: UInt64)?
    private var stream: (writer: HTTPBodyWriter, chunked: Bool, cleanup: () -> Void)?
    private var shuttingDown = false
    /// A `process()` is queued to parse requests held back behind queued output.
    private var processScheduled = false

    /// Queued output beyond which later pipelined requests wait, as they wait behind a stream (and
    /// the connection stops reading once it holds `HTTPConnection.maxBufferedInput` of them): a
    /// client that pipelines requests and reads no answers ties up this much memory and this many
    /// open files, not one response per request it sent.
    static let maxQueuedOutputBytes = 1 << 20
    static let maxQueuedFiles = 8

    // Deadlines, in DispatchTime nanoseconds.
    private var headStarted: UInt64 = 0
    private var lastActivity: UInt64 = DispatchTime.now().uptimeNanoseconds

    init(configuration: HTTPConfiguration, responder: any HTTPResponder, queue: DispatchQueue,
         remoteAddress: String?, logger: Logger?, serverStopping: StopFlag = StopFlag()) {
        self.serverStopping = serverStopping
        self.configuration = configuration
        self.responder = responder
        self.queue = queue
        self.remoteAddress = remoteAddress
        self.logger = logger
        self.parser = HTTPRequestParser(limits: configuration.limits)
    }

    /// Later requests wait: a streamed response is in progress, or too much output is queued.
    var isHoldingInput: Bool {
        stream != nil || output.bufferedBytes >= Self.maxQueuedOutputBytes || output.queuedFiles >= Self.maxQueuedFiles
    }

    /// A streamed response is in progress, or held-back requests are about to be parsed.
    var isBusy: Bool { stream != nil || processScheduled }

    /// Bytes received but not yet parsed (pipelined requests waiting behind a stream).
    var bufferedInput: Int { parser.bufferedByteCount }

    // MARK: input

    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosed, !closeAfterOutput else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        if parser.isIdle && incoming == nil && stream == nil { headStarted = now }
        lastActivity = now
        parser.feed(bytes)
        process()
    }

    /// The peer closed its side: stop a stream; what was already parsed has been answered.
    func peerClosed() {
        isClosed = true
        stream?.writer.clientGone()
        incoming?.spool.discard()
        incoming = nil
    }

    /// Parses and answers as many requests as are complete.
    func process() {
        while !isHoldingInput && !closeAfterOutput && !isClosed {
            let part: HTTPRequestPart?
            do { part = try parser.next() } catch {
                fail(error.status, error.message)
                break
            }
            guard let part else { break }
            switch part {
            case .head(let head):
                incoming = (head, RequestBodySpool(threshold: configuration.bodyMemoryThreshold,
                                                   directory: configuration.spoolDirectory),
                            DispatchTime.now().uptimeNanoseconds)
                if let refusal = configuration.headCheck?(head) {
                    fail(refusal.status, refusal.message, headers: refusal.headers)
                    break
                }
                if head.expectsContinue { output.append(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
            case .body(let bytes):
                do { try incoming?.spool.append(bytes) } catch { fail(error.status, error.message) }
            case .end(let trailers):
                guard let (head, received, started) = incoming else { break }
                var spool = received
                incoming = nil
                headStarted = DispatchTime.now().uptimeNanoseconds
                answer(head, body: spool.finish(), trailers: trailers, started: started)
            }
        }
        onOutput()
    }

    // MARK: answering

    private func answer(_ head: HTTPRequestHead, body: HTTPRequest.Body, trailers: HTTPHeaders, started: UInt64) {
        var request = HTTPRequest(method: head.method, target: head.target, headers: head.headers,
                                  body: body, version: head.version)
        request.trailers = trailers
        request.remoteAddress = remoteAddress
        var response = responder.response(to: request)
        response.compressIfAccepted(acceptEncoding: head.headers["Accept-Encoding"],
                                    configuration: configuration.compression)
        var keepAlive = head.keepAlive && !shuttingDown && !serverStopping.isSet
            && !(response.headers["Connection"].map { $0.lowercasedASCII() == "close" } ?? false)
        // HTTP/1.0 has no chunked coding: a stream is delimited by closing the connection.
        let chunked = head.version != .http1_0
        if case .stream = response.body, !chunked { keepAlive = false }
        let spooled: String? = if case .file(let path, _) = body { path } else { nil }
        let cleanup = { if let spooled { unlink(spooled) } }
        let bytes = write(response, to: head, keepAlive: keepAlive)
        log(head, response.status, bytes: bytes, started: started)
        if !keepAlive { closeAfterOutput = true }
        if case .stream(let produce) = response.body, head.method != .head {
            startStream(produce, chunked: chunked, cleanup: cleanup)
        } else {
            cleanup()
        }
    }

    /// Serializes the head and queues the body; returns the body length for the access log.
    @discardableResult
    private func write(_ response: HTTPResponse, to head: HTTPRequestHead?, keepAlive: Bool) -> Int {
        var response = response
        let isHead = head?.method == .head
        var bodyLength = 0
        var file: (fd: Int32, offset: Int, length: Int)?
        var bodyBytes: [UInt8] = []
        let noBody = response.status.code == 204 || response.status.code == 304
        switch response.body {
        case .empty:
            if !noBody { response.headers.set("Content-Length", "0") }
        case .bytes(let bytes):
            bodyLength = bytes.count
            response.headers.set("Content-Length", String(bytes.count))
            bodyBytes = bytes
        case .file(let path, let offset, let length):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                response = .error(.notFound, "file not found")
                bodyBytes = Array(#"{"error":"file not found"}"#.utf8)
                bodyLength = bodyBytes.count
                response.headers.set("Content-Length", String(bodyLength))
            } else {
                bodyLength = length
                response.headers.set("Content-Length", String(length))
                if isHead { close(fd) } else { file = (fd, offset, length) }
            }
        case .stream:
            if head?.version != .http1_0 { response.headers.set("Transfer-Encoding", "chunked") }
            response.headers.remove("Content-Length")
        }
        if noBody { response.headers.remove("Content-Length") }
        if !response.headers.contains("Date") { response.headers.set("Date", HTTPDate.now()) }
        if !keepAlive { response.headers.set("Connection", "close") }
        else if head?.version == .http1_0 { response.headers.set("Connection", "keep-alive") }

        var text = "HTTP/1.1 \(response.status.code) \(response.status.reason)\r\n"
        for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        var out = Array(text.utf8)
        if !isHead && !noBody { out += bodyBytes }
        output.append(out)
        if let file { output.appendFile(fd: file.fd, offset: file.offset, length: file.length) }
        return bodyLength
    }

    /// Answers a refused or timed-out request and closes after it (the framing can't be trusted).
    private func fail(_ status: HTTPStatus, _ message: String, headers: HTTPHeaders = HTTPHeaders()) {
        let head = incoming?.head
        incoming?.spool.discard()
        incoming = nil
        write(HTTPError(status, message, headers: headers).response, to: head, keepAlive: false)
        logger?.info("\(head?.method.rawValue ?? "-") \(head?.target ?? "-") \(status.code) refused: \(message)",
                     metadata: ["peer": "\(remoteAddress ?? "-")"])
        closeAfterOutput = true
    }

    private func log(_ head: HTTPRequestHead, _ status: HTTPStatus, bytes: Int, started: UInt64) {
        guard let logger, configuration.accessLog else { return }
        // Hundredths of a millisecond, printed as ms with two decimals (no Foundation formatter).
        let centis = (DispatchTime.now().uptimeNanoseconds - started + 5_000) / 10_000
        let fraction = centis % 100 < 10 ? "0\(centis % 100)" : "\(centis % 100)"
        logger.info("\(head.method.rawValue) \(head.target) \(status.code) \(bytes)B \(centis / 100).\(fraction)ms",
                    metadata: ["peer": "\(remoteAddress ?? "-")"])
    }

    // MARK: streams

    private func startStream(_ produce: @escaping @Sendable (HTTPBodyWriter) -> Void, chunked: Bool,
                             cleanup: @escaping () -> Void) {
        let queue = self.queue
        // The writer keeps the session alive while the producer holds it; the cycle ends when
        // the stream finishes (the session drops the writer) and the producer lets go.
        let writer = HTTPBodyWriter { bytes in queue.async { self.streamPiece(bytes) } }
        stream = (writer, chunked, cleanup)
        if shuttingDown { writer.clientGone() }
        // A producer may block for as long as its stream lasts (server-sent events wait for
        // news): on Dispatch's pool a few such streams would stall every other connection.
        if !DetachedThread.start(stackSize: 256 << 10, { produce(writer) }) {
            DispatchQueue.global().async { produce(writer) }
        }
    }

    private func streamPiece(_ bytes: [UInt8]?) {
        guard let (writer, chunked, cleanup) = stream else { return }
        if let bytes {
            guard !isClosed else { return }
            output.append(chunked ? Array(String(bytes.count, radix: 16).utf8) + [13, 10] + bytes + [13, 10] : bytes)
            writer.setBacklog(output.bufferedBytes)
            onOutput()
        } else {
            stream = nil
            cleanup()
            if !isClosed && chunked { output.append(Array("0\r\n\r\n".utf8)) }
            lastActivity = DispatchTime.now().uptimeNanoseconds
            process()  // later pipelined requests, and onOutput
        }
    }

    /// The owner reports that output drained down to `output.bufferedBytes`.
    func outputProgressed() {
        lastActivity = DispatchTime.now().uptimeNanoseconds
        stream?.writer.setBacklog(output.bufferedBytes)
        // Requests held back behind queued output go on once it drains; asynchronously, so that a
        // client reading as fast as it pipelines does not nest process → flush → process.
        if !processScheduled && !isHoldingInput && parser.bufferedByteCount > 0 && !closeAfterOutput && !isClosed {
            processScheduled = true
            queue.async {
                self.processScheduled = false
                self.process()
            }
        }
    }

    // MARK: timeouts and shutdown

    enum Expiry { case none, closeSilently, requestTimeout }

    /// What the deadlines say at `now`.
    func expiry(now: UInt64) -> Expiry {
        let t = configuration.timeouts
        func after(_ start: UInt64, _ seconds: Double) -> Bool { now > start && Double(now - start) / 1e9 > seconds }
        if isClosed { return .none }
        if !output.isEmpty { return after(lastActivity, t.writeIdle) ? .closeSilently : .none }
        if stream != nil { return .none }
        if incoming != nil { return after(lastActivity, t.bodyIdle) ? .requestTimeout : .none }
        if parser.isReadingHead { return after(headStarted, t.header) ? .requestTimeout : .none }
        if shuttingDown { return .closeSilently }
        return after(lastActivity, t.keepAliveIdle) ? .closeSilently : .none
    }

    func timeOut() {
        fail(.requestTimeout, "request timed out")
        onOutput()
    }

    /// Stop taking requests: idle connections close, busy ones after their current response,
    /// and streams are told the client is going away.
    /// A stream in progress is left to finish (the server's shutdown handlers tell long-lived
    /// producers to end; the deadline cuts what remains): cutting it here would race a producer
    /// that is writing its last event.
    func beginShutdown() {
        shuttingDown = true
        if stream != nil { closeAfterOutput = true }
        if incoming == nil && stream == nil && !parser.isReadingHead { closeAfterOutput = true }
        onOutput()
    }

    /// Marks the session dead and drops queued output (forced close).
    func abandon() {
        peerClosed()
        output.removeAll()
    }
}

/// A one-way flag shared between the server and its sessions.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
