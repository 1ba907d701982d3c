import Foundation
import Testing
import SparrowHTTP

/// File responses (ranges, validators) and the static file server's path checks.
@Suite struct StaticFilesTests {
    let root: String
    let outside: String
    let client: HTTPTestClient

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("static-\(UUID())").path
        root = base + "/root"
        outside = base + "/secret.txt"
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try Data("0123456789".utf8).write(to: URL(fileURLWithPath: root + "/digits.txt"))
        try Data("<h1>hi</h1>".utf8).write(to: URL(fileURLWithPath: root + "/sub/index.html"))
        try Data("secret".utf8).write(to: URL(fileURLWithPath: outside))
        try FileManager.default.createSymbolicLink(atPath: root + "/escape.txt", withDestinationPath: outside)
        let router = Router()
        router.mount("/static/*", methods: [.get, .head], StaticFiles(root: root))
        client = HTTPTestClient(responder: router)
    }

    @Test func servesFilesAndIndexes() throws {
        let r = try client.request(.get, "/static/digits.txt")
        #expect(r.status == 200 && r.text == "0123456789")
        #expect(r.headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(r.headers["Accept-Ranges"] == "bytes")
        #expect(try client.request(.get, "/static/sub/").text == "<h1>hi</h1>")
        #expect(try client.request(.get, "/static/none.txt").status == 404)
        #expect(try client.request(.get, "/static/digits.txt/").status == 404)  // a file is not a directory
        #expect(try client.request(.get, "/static/sub").text == "<h1>hi</h1>")
    }

    @Test func ranges() throws {
        let mid = try client.request(.get, "/static/digits.txt", headers: ["Range": "bytes=2-4"])
        #expect(mid.status == 206 && mid.text == "234")
        #expect(mid.headers["Content-Range"] == "bytes 2-4/10")
        #expect(try client.request(.get, "/static/digits.txt", headers: ["Range": "bytes=7-"]).text == "789")
        #expect(try client.request(.get, "/static/digits.txt", headers: ["Range": "bytes=-3"]).text == "789")
        #expect(try client.request(.get, "/static/digits.txt", headers: ["Range": "bytes=5-100"]).text == "56789")
        let bad = try client.request(.get, "/static/digits.txt", headers: ["Range": "bytes=10-"])
        #expect(bad.status == 416 && bad.headers["Content-Range"] == "bytes */10")
        let multi = try client.request(.get, "/static/digits.txt", headers: ["Range": "bytes=0-1,3-4"])
        #expect(multi.status == 200 && multi.text == "0123456789")
    }

    @Test func etagAndIfNoneMatch() throws {
        let first = try client.request(.get, "/static/digits.txt")
        let etag = try #require(first.headers["ETag"])
        let again = try client.request(.get, "/static/digits.txt", headers: ["If-None-Match": etag])
        #expect(again.status == 304 && again.body.isEmpty)
        let stale = try client.request(.get, "/static/digits.txt", headers: ["If-Range": "\"other\"", "Range": "bytes=0-0"])
        #expect(stale.status == 200)
    }

    @Test(arguments: ["/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/sub/%2E%2E/%2E%2E/secret.txt",
                      "/static/..%2Fsecret.txt", "/static/escape.txt", "/static/a%00b"])
    func traversalRefused(_ target: String) throws {
        let r = try client.request(.get, target)
        #expect(r.status == 403 || r.status == 404, "\(target) -> \(r.status)")
        #expect(!r.text.contains("secret"))
    }

    @Test func modifiedSinceAndTheOtherPreconditions() throws {
        let first = try client.request(.get, "/static/digits.txt")
        let etag = try #require(first.headers["ETag"])
        let lastModified = try #require(first.headers["Last-Modified"])
        func status(_ headers: HTTPHeaders) throws -> Int { try client.request(.get, "/static/digits.txt", headers: headers).status }
        #expect(try status(["If-Modified-Since": lastModified]) == 304)
        #expect(try status(["If-Modified-Since": "Fri, 31 Dec 2099 23:59:59 GMT"]) == 304)
        #expect(try status(["If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"]) == 200)
        #expect(try status(["If-Modified-Since": "Saturday, 01-Jan-00 00:00:00 GMT"]) == 200)  // RFC 850
        #expect(try status(["If-Modified-Since": "Sat Jan  1 00:00:00 2000"]) == 200)  // asctime
        #expect(try status(["If-Modified-Since": "yesterday"]) == 200)  // invalid: ignored
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3).
        #expect(try status(["If-None-Match": "\"other\"", "If-Modified-Since": lastModified]) == 200)
        #expect(try status(["If-Match": etag]) == 200)
        #expect(try status(["If-Match": "*"]) == 200)
        #expect(try status(["If-Match": "\"nope\""]) == 412)
        #expect(try status(["If-Match": "W/" + etag]) == 412)  // weak tags never match strongly
        #expect(try status(["If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"]) == 412)
        #expect(try status(["If-Unmodified-Since": lastModified]) == 200)
    }

    @Test func smallTextFilesAreGzippedLikeOtherResponses() throws {
        let text = String(repeating: "body { margin: 0 } ", count: 200)
        try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/site.css"))
        try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/api.yaml"))
        let css = try client.request(.get, "/static/site.css", headers: ["Accept-Encoding": "gzip"])
        #expect(css.status == 200 && css.headers["Content-Encoding"] == "gzip" && css.body.count < text.utf8.count)
        #expect(css.headers["Vary"] == "Accept-Encoding" && css.headers["ETag"]?.hasSuffix("-gzip\"") == true)
        let etag = try #require(css.headers["ETag"])
        let revalidated = try client.request(.get, "/static/site.css", headers: ["Accept-Encoding": "gzip", "If-None-Match": etag])
        #expect(revalidated.status == 304 && revalidated.headers["ETag"] == etag && revalidated.headers["Vary"] == "Accept-Encoding")
        // A client that takes no gzip would get the identity body: the gzip tag does not match it.
        #expect(try client.request(.get, "/static/site.css", headers: ["If-None-Match": etag]).status == 200)
        let identityTag = String(etag.dropLast(6)) + "\""
        let identity = try client.request(.get, "/static/site.css", headers: ["If-None-Match": identityTag])
        #expect(identity.status == 304 && identity.headers["Vary"] == "Accept-Encoding")
        #expect(try client.request(.get, "/static/site.css", headers: ["Accept-Encoding": "gzip", "If-None-Match": identityTag]).status == 200)
        let plain = try client.request(.get, "/static/site.css")
        #expect(plain.headers["Content-Encoding"] == nil && plain.text == text && plain.headers["Vary"] == "Accept-Encoding")
        let yaml = try client.request(.get, "/static/api.yaml", headers: ["Accept-Encoding": "gzip"])
        #expect(yaml.headers["Content-Type"] == "application/yaml" && yaml.headers["Content-Encoding"] == "gzip")
        // A range is served from the file, uncompressed.
        let range = try client.request(.get, "/static/site.css", headers: ["Accept-Encoding": "gzip", "Range": "bytes=0-3"])
        #expect(range.status == 206 && range.text == "body" && range.headers["Content-Encoding"] == nil)
    }
}
