/// The route table: one node per path segment; matching walks the request's raw segments,
/// percent-decoding each one (so an encoded `/` stays inside its segment).
struct RouteTrie {
    final class Node {
        var literals: [String: Node] = [:]
        var parameter: (name: String, node: Node)?
        var wildcard: Node?
        var handlers: [HTTPMethod: Router.Handler] = [:]
        var pattern: String?

        var allowedMethods: [String] {
            var names = Set(handlers.keys.map(\.rawValue))
            if names.contains("GET") { names.insert("HEAD") }
            names.insert("OPTIONS")
            return names.sorted()
        }
    }

    let root = Node()

    func insert(pattern: String, method: HTTPMethod, handler: @escaping Router.Handler) {
        var node = root
        for segment in pattern.split(separator: "/") {
            if segment == "*" {
                if node.wildcard == nil { node.wildcard = Node() }
                node = node.wildcard!  // just set
                break
            } else if segment.first == "{" && segment.last == "}" {
                let name = String(segment.dropFirst().dropLast())
                if node.parameter == nil { node.parameter = (name, Node()) }
                node = node.parameter!.node  // just set
            } else {
                let key = String(segment)
                let next = node.literals[key] ?? Node()
                node.literals[key] = next
                node = next
            }
        }
        node.handlers[method] = handler
        node.pattern = pattern
    }

    func match(path: String) -> (node: Node, parameters: [String: String])? {
        let raw = path.split(separator: "/", omittingEmptySubsequences: true)
        var segments: [String] = []
        segments.reserveCapacity(raw.count)
        for s in raw {
            guard let decoded = PercentDecoding.decode(s, plusAsSpace: false) else { return nil }
            segments.append(decoded)
        }
        var parameters: [String: String] = [:]
        guard let node = Self.walk(root, segments[...], raw[...], &parameters) else { return nil }
        return (node, parameters)
    }

    private static func walk(_ node: Node, _ segments: ArraySlice<String>, _ raw: ArraySlice<Substring>,
                             _ parameters: inout [String: String]) -> Node? {
        guard let segment = segments.first else {
            if node.pattern != nil { return node }
            // `/files/*` also matches `/files/` with an empty rest.
            if let w = node.wildcard, w.pattern != nil { parameters["*"] = ""; return w }
            return nil
        }
        if let next = node.literals[segment],
           let found = walk(next, segments.dropFirst(), raw.dropFirst(), &parameters) {
            return found
        }
        if let (name, next) = node.parameter {
            let saved = parameters
            parameters[name] = segment
            if let found = walk(next, segments.dropFirst(), raw.dropFirst(), &parameters) { return found }
            parameters = saved
        }
        if let w = node.wildcard, w.pattern != nil {
            // The rest stays raw (still percent-encoded) so a file server can decode and check it.
            parameters["*"] = raw.joined(separator: "/")
            return w
        }
        return nil
    }
}
