// Minimal Hummingbird 2 server: GET /json answers {"message":"Hello, World!"} with keep-alive.
// Usage: HBBenchServer <port>
import Hummingbird

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8081 : 8081
let router = Router()
router.get("/json") { _, _ -> Response in
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: .ok, headers: headers,
                    body: .init(byteBuffer: ByteBuffer(string: #"{"message":"Hello, World!"}"#)))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
