import FoundationEssentials

/// Writes a streamed (chunked) response body from any thread. `write` returns false once the
/// client has gone away or the server is stopping, so a producer learns when to stop; it blocks
/// while more than `highWaterMark` bytes wait for the client, so a slow reader cannot make the
/// server buffer without bound.
public final class HTTPBodyWriter: @unchecked Sendable {
    private let condition = ConditionLock()
    private var closed = false
    private var finished = false
    private var backlog = 0
    private var closeHandlers: [@Sendable () -> Void] = []
    private let submit: @Sendable ([UInt8]?) -> Void
    let highWaterMark: Int

    /// `submit` hands bytes (nil: end of body) to the connection's own serial context.
    init(highWaterMark: Int = 1 << 20, submit: @escaping @Sendable ([UInt8]?) -> Void) {
        self.highWaterMark = highWaterMark
        self.submit = submit
    }

    /// True once the client went away (or the stream finished).
    public var isClosed: Bool {
        condition.lock(); defer { condition.unlock() }
        return closed || finished
    }

    /// Sends one chunk. Returns false (and sends nothing) once the client is gone.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return !isClosed }
        condition.lock()
        while backlog > highWaterMark && !closed && !finished { condition.wait() }
        if closed || finished { condition.unlock(); return false }
        backlog += bytes.count
        condition.unlock()
        submit(bytes)
        return true
    }

    @discardableResult
    public func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// Sends one server-sent event: optional `event:` and `id:` lines, `data:` lines, blank line.
    @discardableResult
    public func writeEvent(data: String, event: String? = nil, id: String? = nil) -> Bool {
        var text = ""
        if let event { text += "event: \(event)\n" }
        if let id { text += "id: \(id)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
        return write(text + "\n")
    }

    /// Ends the body. Later writes return false.
    public func finish() {
        condition.lock()
        let already = finished || closed
        finished = true
        condition.broadcast()
        condition.unlock()
        if !already { submit(nil) }
    }

    /// Runs `handler` once the client goes away (immediately if it already has).
    public func onClose(_ handler: @escaping @Sendable () -> Void) {
        condition.lock()
        if closed { condition.unlock(); handler(); return }
        closeHandlers.append(handler)
        condition.unlock()
    }

    // MARK: called by the connection

    func clientGone() {
        condition.lock()
        let handlers = closed ? [] : closeHandlers
        closed = true
        closeHandlers = []
        condition.broadcast()
        condition.unlock()
        handlers.forEach { $0() }
    }

    func setBacklog(_ bytes: Int) {
        condition.lock()
        backlog = bytes
        condition.broadcast()
        condition.unlock()
    }
}
