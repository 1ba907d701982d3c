import Foundation
import Testing
import SparrowHTTP

@Suite struct RouterTests {
    static func make() -> Router {
        let router = Router()
        router.get("/models") { _ in .text("list") }
        router.get("/models/{id}") { r in .text("model \(r.pathParameters["id"] ?? "?") via \(r.routePattern ?? "")") }
        router.delete("/models/{id}") { r in .text("deleted \(r.pathParameters["id"] ?? "?")") }
        router.get("/models/latest") { _ in .text("latest") }
        router.get("/models/{id}/versions/{v}") { r in .text("\(r.pathParameters["id"]!)@\(r.pathParameters["v"]!)") }
        router.get("/files/*") { r in .text("rest=\(r.pathParameters["*"] ?? "")") }
        router.post("/fail") { _ in throw HTTPError(.conflict, "already there") }
        router.post("/crash") { _ in throw CocoaError(.fileNoSuchFile) }
        return router
    }

    let router = RouterTests.make()

    func get(_ method: HTTPMethod, _ target: String) throws -> HTTPResponse {
        try router.respond(to: HTTPRequest(method: method, target: target))
    }

    func text(_ response: HTTPResponse) -> String {
        if case .bytes(let b) = response.body { return String(decoding: b, as: UTF8.self) }
        return ""
    }

    @Test func literalsParametersAndWildcards() throws {
        #expect(text(try get(.get, "/models")) == "list")
        #expect(text(try get(.get, "/models/7")) == "model 7 via /models/{id}")
        #expect(text(try get(.get, "/models/latest")) == "latest")
        #expect(text(try get(.get, "/models/a%20b")) == "model a b via /models/{id}")
        #expect(text(try get(.get, "/models/3/versions/2")) == "3@2")
        #expect(text(try get(.get, "/files/a/b/c.txt")) == "rest=a/b/c.txt")
        #expect(text(try get(.delete, "/models/9")) == "deleted 9")
        #expect(text(try get(.get, "/models/?x=1")) == "list")
    }

    @Test func notFoundAndMethodNotAllowed() throws {
        #expect(try get(.get, "/nothing").status == .notFound)
        let r = try get(.post, "/models/1")
        #expect(r.status == .methodNotAllowed)
        #expect(r.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS")
        #expect(text(r).contains(#""error""#))
    }

    @Test func headAndOptions() throws {
        #expect(text(try get(.head, "/models")) == "list")
        let options = try get(.options, "/models/1")
        #expect(options.status == .noContent)
        #expect(options.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS")
    }

    @Test func errorsBecomeJSON() {
        let conflict = router.response(to: HTTPRequest(method: .post, target: "/fail"))
        #expect(conflict.status.code == 409)
        #expect(text(conflict) == #"{"error":"already there"}"#)
        let crash = router.response(to: HTTPRequest(method: .post, target: "/crash"))
        #expect(crash.status.code == 500)
    }

    @Test func middlewareSeesRoutePatternAndWrapsInOrder() throws {
        let router = RouterTests.make()
        let seen = Locked<[String]>([])
        router.use { request, next in
            seen.set(seen.get() + ["outer \(request.routePattern ?? "none")"])
            var response = try next(request)
            response.headers.add("X-Outer", "1")
            return response
        }
        router.use { request, next in
            guard request.headers["Authorization"] == "Bearer t" else { throw HTTPError(.unauthorized) }
            return try next(request)
        }
        let denied = try router.respond(to: HTTPRequest(method: .get, target: "/models/5"))
        #expect(denied.status.code == 401)
        #expect(denied.headers["X-Outer"] == "1")
        #expect(denied.routePattern == "/models/{id}")
        let ok = try router.respond(to: HTTPRequest(method: .get, target: "/models/5", headers: ["authorization": "Bearer t"]))
        #expect(ok.status == .ok)
        _ = try router.respond(to: HTTPRequest(method: .get, target: "/missing"))
        #expect(seen.get() == ["outer /models/{id}", "outer /models/{id}", "outer none"])
    }

    @Test func requestQueryDecoding() {
        let r = HTTPRequest(method: .get, target: "/p%20q?a=1&b=x+y&a=%C3%A9&flag")
        #expect(r.path == "/p q")
        #expect(r.query.map(\.name) == ["a", "b", "a", "flag"])
        #expect(r.query.map(\.value) == ["1", "x y", "é", ""])
        #expect(r.queryValue("b") == "x y")
    }
}
