import Testing
import SparrowHTTP

/// A request as the parser saw it, flattened for comparison.
struct Parsed: Equatable {
    var method: String, target: String, version: String
    var headers: [String]
    var body: [UInt8]
    var trailers: [String]
    var keepAlive: Bool
    var expectsContinue: Bool
}

/// Feeds `bytes` in the given pieces and collects complete requests, or the first refusal.
func parse(_ pieces: [[UInt8]], limits: HTTPParserLimits = HTTPParserLimits()) -> Result<[Parsed], HTTPParseError> {
    var parser = HTTPRequestParser(limits: limits)
    var done: [Parsed] = []
    var current: Parsed?
    do {
        for piece in pieces {
            parser.feed(piece)
            while let part = try parser.next() {
                switch part {
                case .head(let h):
                    current = Parsed(method: h.method.rawValue, target: h.target, version: h.version.description,
                                     headers: h.headers.map { "\($0.name): \($0.value)" }, body: [], trailers: [],
                                     keepAlive: h.keepAlive, expectsContinue: h.expectsContinue)
                case .body(let b): current?.body += b
                case .end(let trailers):
                    current?.trailers = trailers.map { "\($0.name): \($0.value)" }
                    if let c = current { done.append(c) }
                    current = nil
                }
            }
        }
        return .success(done)
    } catch {
        return .failure(error)
    }
}

/// The same input whole, one byte at a time, and split in two at every position must agree.
func parseEverySplit(_ raw: [UInt8], limits: HTTPParserLimits = HTTPParserLimits()) -> Result<[Parsed], HTTPParseError> {
    let whole = parse([raw], limits: limits)
    let bytewise = parse(raw.map { [$0] }, limits: limits)
    #expect(bytewise == whole, "byte-at-a-time parse differs")
    for cut in 0...raw.count {
        let split = parse([Array(raw[..<cut]), Array(raw[cut...])], limits: limits)
        #expect(split == whole, "split at \(cut) differs")
        if split != whole { break }
    }
    return whole
}

func parseEverySplit(_ raw: String, limits: HTTPParserLimits = HTTPParserLimits()) -> Result<[Parsed], HTTPParseError> {
    parseEverySplit(Array(raw.utf8), limits: limits)
}

func status(_ result: Result<[Parsed], HTTPParseError>) -> Int? {
    if case .failure(let e) = result { return e.status.code }
    return nil
}

func requests(_ result: Result<[Parsed], HTTPParseError>) -> [Parsed] {
    (try? result.get()) ?? []
}

@Suite struct HTTPRequestParserTests {
    @Test func simpleGet() throws {
        let r = try parseEverySplit("GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n").get()
        #expect(r.count == 1)
        #expect(r[0].method == "GET" && r[0].target == "/a/b?x=1" && r[0].version == "HTTP/1.1")
        #expect(r[0].headers == ["Host: h", "Accept: */*"])
        #expect(r[0].keepAlive && r[0].body.isEmpty)
    }

    @Test func headerNamesCaseInsensitiveAndRepeatedKept() throws {
        var parser = HTTPRequestParser()
        parser.feed(Array("GET / HTTP/1.1\r\nhost: h\r\nX-A: 1\r\nx-a: 2\r\n\r\n".utf8))
        guard case .head(let head)? = try parser.next() else { Issue.record("no head"); return }
        #expect(head.headers["HOST"] == "h")
        #expect(head.headers.values(for: "X-a") == ["1", "2"])
    }

    @Test func valueWhitespaceTrimmed() throws {
        let r = try parseEverySplit("GET / HTTP/1.1\r\nHost:   h \t\r\n\r\n").get()
        #expect(r[0].headers == ["Host: h"])
    }

    @Test func contentLengthBody() throws {
        let r = try parseEverySplit("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello").get()
        #expect(r[0].body == Array("hello".utf8))
    }

    @Test func identicalDuplicateContentLengthsAccepted() throws {
        let r = try parseEverySplit("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc").get()
        #expect(r[0].body == Array("abc".utf8))
    }

    @Test func chunkedWithTrailers() throws {
        let raw = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Sum: 42\r\n\r\n"
        let r = try parseEverySplit(raw).get()
        #expect(r[0].body == Array("hello, world!!!".utf8))
        #expect(r[0].trailers == ["X-Sum: 42"])
    }

    @Test func pipelinedRequestsInOrder() throws {
        let raw = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.1\r\nHost: h\r\n\r\n"
        let r = try parseEverySplit(raw).get()
        #expect(r.map(\.target) == ["/1", "/2", "/3"])
        #expect(r[1].body == Array("hi".utf8))
    }

    @Test func http10DefaultsToCloseAndNeedsNoHost() throws {
        let r = try parseEverySplit("GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").get()
        #expect(r.map(\.keepAlive) == [false, true])
        #expect(r[0].version == "HTTP/1.0")
    }

    @Test func connectionClose() throws {
        let r = try parseEverySplit("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n").get()
        #expect(!r[0].keepAlive)
    }

    @Test func expectContinue() throws {
        let r = try parseEverySplit("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx").get()
        #expect(r[0].expectsContinue)
        #expect(status(parseEverySplit("PUT / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx")) == 417)
    }

    @Test func bareLFAcceptedAndLeadingEmptyLinesIgnored() throws {
        let r = try parseEverySplit("\r\n\nGET / HTTP/1.1\nHost: h\n\n").get()
        #expect(r.count == 1)
    }

    @Test func absoluteFormReducedToPath() throws {
        let r = try parseEverySplit("GET http://example.com/p?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n").get()
        #expect(r[0].target == "/p?q=1")
    }

    // MARK: refusals

    @Test func requestLineTooLongIs414() {
        let limits = HTTPParserLimits()
        let long = "GET /" + String(repeating: "a", count: limits.maxRequestLineLength) + " HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(status(parse([Array(long.utf8)])) == 414)
        // Without the line end: refused as soon as the limit is passed.
        #expect(status(parse([Array(long.utf8.prefix(limits.maxRequestLineLength + 10))])) == 414)
        // Just at the limit is fine.
        let fits = "GET /" + String(repeating: "a", count: limits.maxRequestLineLength - 14) + " HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(status(parse([Array(fits.utf8)])) == nil)
    }

    @Test func headerBlockTooLargeIs431() {
        let big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + String(repeating: "b", count: 64 * 1024) + "\r\n\r\n"
        #expect(status(parse([Array(big.utf8)])) == 431)
        #expect(status(parse(Array(big.utf8).map { [$0] })) == 431)
    }

    @Test func tooManyFieldsIs431() {
        var raw = "GET / HTTP/1.1\r\nHost: h\r\n"
        for i in 0..<100 { raw += "X-\(i): v\r\n" }
        #expect(status(parse([Array((raw + "\r\n").utf8)])) == 431)
        var ok = "GET / HTTP/1.1\r\nHost: h\r\n"
        for i in 0..<99 { ok += "X-\(i): v\r\n" }
        #expect(status(parse([Array((ok + "\r\n").utf8)])) == nil)
    }

    @Test func bodyOverMaximumIs413BeforeReadingIt() {
        var limits = HTTPParserLimits()
        limits.maxBodySize = 10
        // No body bytes sent at all: decided from Content-Length.
        #expect(status(parseEverySplit("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits: limits)) == 413)
        #expect(status(parseEverySplit("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n")) == 413)
        #expect(status(parseEverySplit("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", limits: limits)) == 413)
        #expect(status(parseEverySplit("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits)) == nil)
    }

    @Test(arguments: [
        ("content-length with transfer-encoding", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ("differing content-lengths", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"),
        ("differing content-lengths in a list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n"),
        ("non-numeric content-length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\n"),
        ("bad chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        ("empty chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\n"),
        ("huge chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n"),
        ("chunk without CRLF", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n"),
        ("bare CR in header", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n"),
        ("bare CR in request line", "GET /\r HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n  continued\r\n\r\n"),
        ("space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n"),
        ("invalid name character", "GET / HTTP/1.1\r\nHost: h\r\nX(A): 1\r\n\r\n"),
        ("NUL in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{0}b\r\n\r\n"),
        ("DEL in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{7F}b\r\n\r\n"),
        ("no colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"),
        ("missing host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"),
        ("two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        ("malformed request line", "GET /\r\nHost: h\r\n\r\n"),
        ("double space", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("invalid method", "G@T / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("malformed version", "GET / HTTX/1.1\r\nHost: h\r\n\r\n"),
        ("relative target", "GET foo HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("transfer-encoding in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("chunked twice", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
        ("host list", "GET / HTTP/1.1\r\nHost: x, y\r\n\r\n"),
        ("host with a comma", "GET / HTTP/1.1\r\nHost: x,y\r\n\r\n"),
        ("host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
        ("host with a slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
        ("host with a quote", "GET / HTTP/1.1\r\nHost: x\"y\r\n\r\n"),
        ("host port not digits", "GET / HTTP/1.1\r\nHost: x:abc\r\n\r\n"),
        ("unclosed IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"),
        ("IPv6 literal then junk", "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n"),
        ("fragment in target", "GET /p#frag HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("userinfo in absolute form", "GET http://user@x/p HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("empty content-length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"),
        ("lone percent", "GET /% HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("short percent escape", "GET /a%2 HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("non-hex percent escape", "GET /a?q=%zz HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("nine empty lines first", String(repeating: "\r\n", count: 9) + "GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
    ])
    func malformedIs400(_ name: String, _ raw: String) {
        #expect(status(parseEverySplit(raw)) == 400, "\(name)")
    }

    @Test func refusalsSayWhatIsWrong() {
        func message(_ raw: String) -> String {
            if case .failure(let e) = parse([Array(raw.utf8)]) { return e.message }
            return "accepted"
        }
        #expect(message("GET  / HTTP/1.1\r\nHost: h\r\n\r\n") == "malformed request line")
        #expect(message("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n") == "invalid Content-Length")
        #expect(message("GET / HTTP/1.1\r\nHost: x, y\r\n\r\n") == "invalid Host header")
    }

    @Test(arguments: ["h", "h:8080", "127.0.0.1:1", "[::1]", "[::1]:8080", "[2001:db8::7]", "xn--bcher-kva.example",
                      "a-b_c~d.e", "%41b", "", "x:"])
    func validHostsAreAccepted(_ host: String) {
        #expect(requests(parseEverySplit("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")).count == 1, "\(host)")
    }

    @Test func chunkSizesMayHaveLeadingZeros() throws {
        let zeros = String(repeating: "0", count: 30)
        let r = try parseEverySplit("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\(zeros)5\r\nhello\r\n\(zeros)\r\n\r\n").get()
        #expect(r.count == 1 && r[0].body == Array("hello".utf8))
    }

    @Test func eightEmptyLinesBeforeARequestAreSkipped() throws {
        #expect(try parseEverySplit(String(repeating: "\r\n", count: 8) + "GET / HTTP/1.1\r\nHost: h\r\n\r\n").get().count == 1)
    }

    @Test func unknownTransferCodingIs501() {
        #expect(status(parseEverySplit("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")) == 501)
        #expect(status(parseEverySplit("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: br\r\n\r\n")) == 501)
    }

    @Test func http2PrefaceAndNewerVersionsAre505() {
        #expect(status(parseEverySplit("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")) == 505)
        #expect(status(parseEverySplit("GET / HTTP/3.0\r\nHost: h\r\n\r\n")) == 505)
        #expect(status(parseEverySplit("GET / HTTP/0.9\r\nHost: h\r\n\r\n")) == 505)
    }

    @Test func parserStaysFailedAfterAnError() {
        var parser = HTTPRequestParser()
        parser.feed(Array("BAD\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try parser.next() }
        parser.feed(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try parser.next() }
    }

    @Test func idleAndHeadStateReported() throws {
        var parser = HTTPRequestParser()
        #expect(parser.isIdle && !parser.isReadingHead)
        parser.feed(Array("GE".utf8))
        let part = try parser.next()
        #expect(part == nil)
        #expect(!parser.isIdle && parser.isReadingHead)
    }

    @Test func emptyLinesPastTheFirstStartTheHeaderClock() throws {
        // One stray CRLF (some clients send it after a body) leaves the connection idle; more are a
        // head in progress, so a client dripping CRLFs meets the header timeout, not the idle one.
        var parser = HTTPRequestParser()
        parser.feed(Array("\r\n".utf8))
        #expect(try parser.next() == nil)
        #expect(parser.isIdle && !parser.isReadingHead)
        parser.feed(Array("\r\n".utf8))
        #expect(try parser.next() == nil)
        #expect(!parser.isIdle && parser.isReadingHead)
        parser.feed(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        guard case .head? = try parser.next() else { Issue.record("no head"); return }
        _ = try parser.next()  // end
        #expect(parser.isIdle)
    }
}

