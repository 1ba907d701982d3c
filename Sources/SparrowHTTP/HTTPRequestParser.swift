/// An incremental HTTP/1.1 request parser (RFC 9112) over raw bytes. Feed bytes as they arrive in
/// any split, then pull parts with `next()` until it returns nil. Pipelined requests come out one
/// after another. Every refusal is an `HTTPParseError` carrying the status to answer (400, 413,
/// 414, 417, 431, 501, 505); after one the parser stays failed.
public struct HTTPRequestParser: Sendable {
    enum State: Sendable {
        case requestLine
        case headers
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case endPending
        case failed(HTTPParseError)
    }

    public let limits: HTTPParserLimits
    private var buffer: [UInt8] = []
    /// Start of unconsumed input; in the line states, also the start of the current line.
    private var readIndex = 0
    /// How much of the current line was already searched for LF.
    private var scanned = 0
    private var state: State = .requestLine

    // The request being assembled.
    private var method = "", target = "", version = HTTPVersion.http1_1
    private var headers = HTTPHeaders()
    private var headerBytes = 0
    private var bodyReceived = 0
    /// Empty lines received since the last request (RFC 9112 §2.2 asks servers to skip at least one).
    private var emptyLinesBeforeRequest = 0
    /// More empty lines before a request line than this answer 400.
    static let maxEmptyLinesBeforeRequest = 8

    public init(limits: HTTPParserLimits = HTTPParserLimits()) { self.limits = limits }

    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if readIndex > 0 && (readIndex == buffer.count || readIndex >= 4096) {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Bytes received and not yet handed out as parts.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// True between requests with nothing of the next one received.
    public var isIdle: Bool {
        if case .requestLine = state { return bufferedByteCount == 0 && emptyLinesBeforeRequest <= 1 }
        return false
    }

    /// True while a head is being received (for the header timeout). A second empty line before a
    /// request counts as its start: a client dripping CRLFs is on the header clock, not the idle one.
    public var isReadingHead: Bool {
        switch state {
        case .requestLine: return bufferedByteCount > 0 || emptyLinesBeforeRequest > 1
        case .headers: return true
        default: return false
        }
    }

    public mutating func next() throws(HTTPParseError) -> HTTPRequestPart? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPParseError) -> HTTPRequestPart? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .endPending:
                state = .requestLine
                let trailers = headers
                headers = HTTPHeaders()
                return .end(trailers: trailers)
            case .requestLine:
                guard let line = try takeLine(limit: limits.maxRequestLineLength, tooLong: .uriTooLong,
                                              what: "request line") else { return nil }
                if line.isEmpty {  // RFC 9112 §2.2: skip empty lines before a request, a few
                    emptyLinesBeforeRequest += 1
                    if emptyLinesBeforeRequest > Self.maxEmptyLinesBeforeRequest {
                        throw HTTPParseError(.badRequest, "more than \(Self.maxEmptyLinesBeforeRequest) empty lines before the request line")
                    }
                    continue
                }
                emptyLinesBeforeRequest = 0
                try parseRequestLine(line)
                headers = HTTPHeaders()
                headerBytes = 0
                state = .headers
            case .headers:
                guard let line = try takeHeaderLine() else { return nil }
                if line.isEmpty { return .head(try finishHead()) }
                let (name, value) = try parseField(line)
                headers.add(name, value)
                if headers.count > limits.maxHeaderCount {
                    throw HTTPParseError(.requestHeaderFieldsTooLarge, "more than \(limits.maxHeaderCount) header fields")
                }
            case .fixedBody(let remaining):
                guard let piece = takeBody(max: remaining) else { return nil }
                state = remaining == piece.count ? .endPending : .fixedBody(remaining: remaining - piece.count)
                return .body(piece)
            case .chunkSize:
                guard let line = try takeLine(limit: 1024, tooLong: .badRequest, what: "chunk size line") else {
                    return nil
                }
                let size = try parseChunkSize(line)
                if size == 0 {
                    headerBytes = 0
                    state = .trailers
                } else {
                    if size > limits.maxBodySize - bodyReceived {
                        throw HTTPParseError(.contentTooLarge, "body exceeds \(limits.maxBodySize) bytes")
                    }
                    bodyReceived += size
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                guard let piece = takeBody(max: remaining) else { return nil }
                state = remaining == piece.count ? .chunkDataEnd : .chunkData(remaining: remaining - piece.count)
                return .body(piece)
            case .chunkDataEnd:
                guard bufferedByteCount >= 2 else {
                    if bufferedByteCount == 1 && buffer[readIndex] != 13 { throw Self.badChunkEnd }
                    return nil
                }
                guard buffer[readIndex] == 13 && buffer[readIndex + 1] == 10 else { throw Self.badChunkEnd }
                readIndex += 2
                state = .chunkSize
            case .trailers:
                guard let line = try takeHeaderLine() else { return nil }
                if line.isEmpty { state = .endPending; continue }
                let (name, value) = try parseField(line)
                headers.add(name, value)
                if headers.count > limits.maxHeaderCount {
                    throw HTTPParseError(.requestHeaderFieldsTooLarge, "more than \(limits.maxHeaderCount) trailer fields")
                }
            }
        }
    }

    private static let badChunkEnd = HTTPParseError(.badRequest, "chunk data not followed by CRLF")

    // MARK: lines

    /// The next complete line without its CRLF (or bare LF, which RFC 9112 §2.2 lets us accept),
    /// or nil if it has not fully arrived. A CR anywhere else in the line is refused.
    private mutating func takeLine(limit: Int, tooLong: HTTPStatus, what: String) throws(HTTPParseError) -> ArraySlice<UInt8>? {
        let start = readIndex + scanned
        guard let lf = buffer[start...].firstIndex(of: 10) else {
            scanned = buffer.count - readIndex
            if scanned > limit + 1 {
                throw HTTPParseError(tooLong, "\(what) longer than \(limit) bytes")
            }
            return nil
        }
        var end = lf
        if end > readIndex && buffer[end - 1] == 13 { end -= 1 }
        if end - readIndex > limit { throw HTTPParseError(tooLong, "\(what) longer than \(limit) bytes") }
        let line = buffer[readIndex..<end]
        if line.contains(13) { throw HTTPParseError(.badRequest, "bare CR in \(what)") }
        readIndex = lf + 1
        scanned = 0
        return line
    }

    /// A header or trailer line, counting the block against `maxHeaderBytes`.
    private mutating func takeHeaderLine() throws(HTTPParseError) -> ArraySlice<UInt8>? {
        let remaining = limits.maxHeaderBytes - headerBytes
        let before = readIndex
        guard let line = try takeLine(limit: max(remaining, 0), tooLong: .requestHeaderFieldsTooLarge,
                                      what: "header block") else { return nil }
        headerBytes += readIndex - before
        if headerBytes > limits.maxHeaderBytes {
            throw HTTPParseError(.requestHeaderFieldsTooLarge, "header block larger than \(limits.maxHeaderBytes) bytes")
        }
        return line
    }

    private mutating func takeBody(max: Int) -> [UInt8]? {
        let n = min(max, bufferedByteCount)
        guard n > 0 else { return nil }
        defer { readIndex += n }
        return Array(buffer[readIndex..<readIndex + n])
    }

    // MARK: request line

    private mutating func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) {
        let parts = line.split(separator: 32, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].contains(32) else {
            throw HTTPParseError(.badRequest, "malformed request line")
        }
        let (m, t, v) = (parts[0], parts[1], parts[2])
        version = try Self.parseVersion(v)
        guard !m.isEmpty, m.allSatisfy(HTTPSyntax.isToken) else {
            throw HTTPParseError(.badRequest, "invalid method")
        }
        guard !t.isEmpty, t.allSatisfy(HTTPSyntax.isTargetChar) else {
            throw HTTPParseError(.badRequest, "invalid request target")
        }
        guard !t.contains(UInt8(ascii: "#")) else { throw HTTPParseError(.badRequest, "a fragment in the request target") }
        guard Self.percentEscapesAreWellFormed(t) else {
            throw HTTPParseError(.badRequest, "a '%' in the request target not followed by two hex digits")
        }
        method = String(decoding: m, as: UTF8.self)
        target = try Self.originForm(String(decoding: t, as: UTF8.self), method: method)
    }

    /// pct-encoded = "%" HEXDIG HEXDIG (RFC 3986 §2.1).
    private static func percentEscapesAreWellFormed(_ t: ArraySlice<UInt8>) -> Bool {
        var i = t.startIndex
        while let percent = t[i...].firstIndex(of: UInt8(ascii: "%")) {
            guard percent + 2 < t.endIndex, PercentDecoding.hex(t[percent + 1]) != nil,
                  PercentDecoding.hex(t[percent + 2]) != nil else { return false }
            i = percent + 3
        }
        return true
    }

    private static func parseVersion(_ v: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        let bytes = Array(v)
        guard bytes.count == 8, bytes[0..<5].elementsEqual("HTTP/".utf8), bytes[6] == UInt8(ascii: "."),
              let major = digit(bytes[5]), let minor = digit(bytes[7]) else {
            throw HTTPParseError(.badRequest, "malformed HTTP version")
        }
        guard major == 1 else {
            throw HTTPParseError(.httpVersionNotSupported, "HTTP/\(major).\(minor) is not supported; use HTTP/1.1")
        }
        return minor == 0 ? .http1_0 : .http1_1  // 1.x with x > 1 is served as 1.1 (RFC 9110 §6.2)
    }

    private static func digit(_ c: UInt8) -> Int? { c >= 48 && c <= 57 ? Int(c - 48) : nil }

    /// Origin form as is; absolute form reduced to its path and query; `*` only for OPTIONS.
    private static func originForm(_ target: String, method: String) throws(HTTPParseError) -> String {
        if target.hasPrefix("/") { return target }
        if target == "*" && method == "OPTIONS" { return target }
        for scheme in ["http://", "https://"] where target.lowercased().hasPrefix(scheme) {
            let rest = target.dropFirst(scheme.count)
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            // RFC 9110 §4.2.4: userinfo in an http(s) URI is to be treated as an error.
            guard !rest[..<authorityEnd].contains("@") else { throw HTTPParseError(.badRequest, "userinfo in the request target") }
            guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
            let path = String(rest[slash...])
            return path.hasPrefix("?") ? "/" + path : path
        }
        throw HTTPParseError(.badRequest, "unsupported request target form")
    }

    // MARK: fields

    private func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (String, String) {
        guard let first = line.first else { throw HTTPParseError(.badRequest, "empty header field") }
        if first == 32 || first == 9 {
            throw HTTPParseError(.badRequest, "obsolete line folding in header field")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw HTTPParseError(.badRequest, "header field without colon")
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(HTTPSyntax.isToken) else {
            throw HTTPParseError(.badRequest, "invalid character in header field name")
        }
        var value = line[(colon + 1)...]
        while let c = value.first, c == 32 || c == 9 { value.removeFirst() }
        while let c = value.last, c == 32 || c == 9 { value.removeLast() }
        guard value.allSatisfy(HTTPSyntax.isFieldValue) else {
            throw HTTPParseError(.badRequest, "invalid character in header field value")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    // MARK: framing

    private mutating func finishHead() throws(HTTPParseError) -> HTTPRequestHead {
        let hosts = headers.values(for: "Host")
        if version == .http1_1 && hosts.count != 1 {
            throw HTTPParseError(.badRequest, hosts.isEmpty ? "missing Host header" : "more than one Host header")
        }
        if version == .http1_0 && hosts.count > 1 { throw HTTPParseError(.badRequest, "more than one Host header") }
        if let host = hosts.first, !HTTPSyntax.isValidHost(host) { throw HTTPParseError(.badRequest, "invalid Host header") }

        let codings = headers.listValues(for: "Transfer-Encoding").map { $0.lowercasedASCII() }
        let lengths = headers.listValues(for: "Content-Length")
        let transferEncodingSent = headers.contains("Transfer-Encoding")
        var framing = HTTPRequestHead.Framing.none
        if transferEncodingSent {
            if !lengths.isEmpty || headers.contains("Content-Length") {
                throw HTTPParseError(.badRequest, "both Content-Length and Transfer-Encoding")
            }
            if version == .http1_0 { throw HTTPParseError(.badRequest, "Transfer-Encoding in an HTTP/1.0 request") }
            if let unknown = codings.first(where: { $0 != "chunked" }) {
                throw HTTPParseError(.notImplemented, "unsupported transfer coding '\(unknown)'")
            }
            guard codings.count == 1 else { throw HTTPParseError(.badRequest, "invalid Transfer-Encoding") }
            framing = .chunked
        } else if headers.contains("Content-Length") {
            guard let first = lengths.first else { throw HTTPParseError(.badRequest, "invalid Content-Length") }
            guard lengths.allSatisfy({ $0 == first }) else {
                throw HTTPParseError(.badRequest, "conflicting Content-Length values")
            }
            guard first.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw HTTPParseError(.badRequest, "invalid Content-Length")
            }
            let digits = first.drop { $0 == "0" }
            guard digits.count <= 18, let length = digits.isEmpty ? 0 : Int(digits), length <= limits.maxBodySize else {
                throw HTTPParseError(.contentTooLarge, "body exceeds \(limits.maxBodySize) bytes")
            }
            framing = length > 0 ? .length(length) : .none
        }

        var expectsContinue = false
        if let expect = headers["Expect"] {
            guard expect.lowercasedASCII() == "100-continue" else {
                throw HTTPParseError(.expectationFailed, "unsupported expectation '\(expect)'")
            }
            expectsContinue = version == .http1_1 && framing != .none
        }

        let connection = Set(headers.listValues(for: "Connection").map { $0.lowercasedASCII() })
        let keepAlive = connection.contains("close") ? false
            : version == .http1_1 || connection.contains("keep-alive")

        let head = HTTPRequestHead(method: HTTPMethod(method), target: target, version: version,
                                   headers: headers, framing: framing, keepAlive: keepAlive,
                                   expectsContinue: expectsContinue)
        headers = HTTPHeaders()
        bodyReceived = 0
        switch framing {
        case .none: state = .endPending
        case .length(let n): state = .fixedBody(remaining: n)
        case .chunked: state = .chunkSize
        }
        return head
    }

    /// chunk-size [ chunk-ext ]: hex digits, then nothing or (BWS) ";" extensions, which are ignored.
    private func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var size = 0, digits = 0
        var i = line.startIndex
        var significant = 0
        while i < line.endIndex, let d = PercentDecoding.hex(line[i]) {
            if size > 0 || d > 0 { significant += 1 }  // leading zeros are allowed (1*HEXDIG)
            guard significant <= 15 else { throw HTTPParseError(.badRequest, "chunk size too large") }
            size = size << 4 | Int(d)
            digits += 1
            i += 1
        }
        guard digits > 0 else { throw HTTPParseError(.badRequest, "invalid chunk size") }
        while i < line.endIndex, line[i] == 32 || line[i] == 9 { i += 1 }
        if i < line.endIndex {
            guard line[i] == UInt8(ascii: ";"), line[i...].allSatisfy(HTTPSyntax.isFieldValue) else {
                throw HTTPParseError(.badRequest, "invalid chunk size")
            }
        }
        return size
    }
}
