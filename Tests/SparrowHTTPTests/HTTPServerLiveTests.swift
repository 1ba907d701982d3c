import Foundation
import Testing
import SparrowHTTP
#if canImport(Glibc)
import Glibc
#endif

/// The server over loopback sockets: transport, timeouts, connection cap, shutdown, streaming.
@Suite(.serialized) struct HTTPServerLiveTests {
    static func router() -> Router {
        let router = Router()
        router.get("/hello") { _ in .text("hello") }
        router.get("/slow") { _ in usleep(300_000); return .text("slow") }
        router.post("/echo") { request in .bytes(try request.body.bytes(), contentType: "application/octet-stream") }
        router.get("/events") { _ in
            .eventStream { writer in
                for i in 0..<3 {
                    usleep(20_000)  // later than the head, so the stream outlives its first flush
                    _ = writer.writeEvent(data: "e\(i)")
                }
                writer.finish()
            }
        }
        router.get("/page") { _ in .text(String(repeating: "p", count: 40_000)) }
        return router
    }

    @Test func keepAliveOverIPv4AndIPv6() throws {
        for host in ["127.0.0.1", "::1"] {
            let server = try startServer(Self.router(), host: host)
            defer { server.shutdown(deadline: 1) }
            #expect(server.port > 0)
            let client = try LiveSocket(port: server.port, ipv6: host == "::1")
            for _ in 0..<3 {
                try client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                let r = try client.response()
                #expect(r.status == 200 && r.text == "hello")
            }
            // Pipelined: both answers, in order.
            try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nonePOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\ntwo")
            #expect(try client.response().text == "one")
            #expect(try client.response().text == "two")
        }
    }

    @Test func aStreamOnAClosingConnectionIsSentWhole() throws {
        let server = try startServer(Self.router())
        defer { server.shutdown(deadline: 1) }
        // HTTP/1.1 asking to close: chunked, with its last chunk, then the close.
        let closing = try LiveSocket(port: server.port)
        try closing.send("GET /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(closing.closedByPeer(timeout: 5))
        #expect(closing.leftover.contains("data: e2") && closing.leftover.hasSuffix("0\r\n\r\n"), "\(closing.leftover)")
        // HTTP/1.0: no chunked coding, the close delimits the body.
        let old = try LiveSocket(port: server.port)
        try old.send("GET /events HTTP/1.0\r\n\r\n")
        #expect(old.closedByPeer(timeout: 5))
        #expect(old.leftover.contains("data: e0") && old.leftover.contains("data: e2"), "\(old.leftover)")
    }

    @Test func pipelinedRequestsWaitWhileTheirAnswersAreUnread() throws {
        let server = try startServer(Self.router())
        defer { server.shutdown(deadline: 1) }
        let client = try LiveSocket(port: server.port)
        // 400 requests for 40 kB each: 16 MB of answers the client does not read yet.
        try client.send(String(repeating: "GET /page HTTP/1.1\r\nHost: x\r\n\r\n", count: 400))
        usleep(300_000)
        // Meanwhile others are served.
        let other = try LiveSocket(port: server.port)
        try other.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try other.response().text == "hello")
        // Then every answer arrives, in order, once the client reads.
        for _ in 0..<400 {
            let r = try client.response()
            guard r.status == 200 && r.body.count == 40_000 else { Issue.record("got \(r.status)"); return }
        }
    }

    @Test func slowClientTimedOutWithoutDelayingOthers() throws {
        let server = try startServer(Self.router()) { $0.timeouts.header = 0.6 }
        defer { server.shutdown(deadline: 1) }
        let slow = try LiveSocket(port: server.port)
        let request = Array("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        var sent = 0
        let start = Date()
        var timedOut = false
        // One byte every 100 ms; a fast client is served in between.
        while Date().timeIntervalSince(start) < 3 {
            if sent < request.count {
                do { try slow.send([request[sent]]) } catch { timedOut = true; break }
                sent += 1
            }
            let fast = try LiveSocket(port: server.port)
            try fast.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try fast.response(timeout: 1).status == 200)
            if slow.closedByPeer(timeout: 0.1) { timedOut = true; break }
        }
        #expect(timedOut)
        #expect(slow.leftover.hasPrefix("HTTP/1.1 408 "))
        #expect(sent < request.count)
    }

    @Test func idleKeepAliveClosedSilentlyAndBodyIdleIs408() throws {
        let server = try startServer(Self.router()) {
            $0.timeouts.keepAliveIdle = 0.3
            $0.timeouts.bodyIdle = 0.3
        }
        defer { server.shutdown(deadline: 1) }
        let idle = try LiveSocket(port: server.port)
        #expect(idle.closedByPeer(timeout: 2))
        #expect(idle.leftover.isEmpty)
        let body = try LiveSocket(port: server.port)
        try body.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        #expect(body.closedByPeer(timeout: 2))
        #expect(body.leftover.hasPrefix("HTTP/1.1 408 "))
    }

    @Test func connectionCapAnswers503() throws {
        let server = try startServer(Self.router()) { $0.maxConnections = 2 }
        defer { server.shutdown(deadline: 1) }
        let a = try LiveSocket(port: server.port), b = try LiveSocket(port: server.port)
        try a.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        try b.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try a.response(); _ = try b.response()
        let c = try LiveSocket(port: server.port)
        #expect(try c.response().status == 503)
    }

    @Test func thousandConcurrentKeepAliveConnections() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = max(limit.rlim_cur, min(limit.rlim_max, 8192))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let server = try startServer(Self.router()) { $0.timeouts.keepAliveIdle = 30 }
        defer { server.shutdown(deadline: 2) }
        var clients: [LiveSocket] = []
        for _ in 0..<1000 { clients.append(try LiveSocket(port: server.port)) }
        for round in 0..<2 {
            for c in clients { try c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n") }
            var ok = 0
            for c in clients where (try? c.response(timeout: 10).status) == 200 { ok += 1 }
            #expect(ok == 1000, "round \(round)")
        }
        #expect(server.connectionCount == 1000)
    }

    @Test func gracefulShutdownFinishesInFlightRequests() throws {
        let server = try startServer(Self.router())
        let client = try LiveSocket(port: server.port)
        let idle = try LiveSocket(port: server.port)
        try client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(50_000)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { server.shutdown(deadline: 3); done.signal() }
        let r = try client.response(timeout: 3)
        #expect(r.status == 200 && r.text == "slow")
        #expect(r.headers["Connection"] == "close")
        #expect(idle.closedByPeer(timeout: 2))
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(server.connectionCount == 0)
        #expect(throws: (any Error).self) { _ = try LiveSocket(port: server.port) }
    }

    @Test func streamLearnsWhenClientLeaves() throws {
        let stopped = DispatchSemaphore(value: 0)
        let closeSeen = Locked(false)
        let router = Router()
        router.get("/events") { _ in
            .eventStream { writer in
                writer.onClose { closeSeen.set(true) }
                var i = 0
                while writer.writeEvent(data: "tick \(i)") { i += 1; usleep(10_000) }
                stopped.signal()
            }
        }
        let server = try startServer(router)
        defer { server.shutdown(deadline: 1) }
        var client: LiveSocket? = try LiveSocket(port: server.port)
        try client?.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(100_000)
        client = nil  // closes the socket
        #expect(stopped.wait(timeout: .now() + 5) == .success)
        #expect(closeSeen.get())
    }
}
