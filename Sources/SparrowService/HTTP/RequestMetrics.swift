import FoundationEssentials
import Synchronization

/// Request counts and latency histograms per route, rendered in Prometheus text format.
public final class RequestMetrics: Sendable {
    /// Upper bounds of the latency buckets, seconds.
    public static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Histogram {
        var counts = [Int](repeating: 0, count: RequestMetrics.buckets.count)
        var sum = 0.0
        var total = 0
    }

    struct Key: Hashable {
        var method: String
        var route: String
    }

    private let state = Mutex<(latency: [Key: Histogram], statuses: [String: Int])>(([:], [:]))

    public init() {}

    /// Methods kept as their own label; any other token a client sends counts as "other", so that
    /// clients cannot add series (and memory) without bound by inventing methods.
    static let methodLabels: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]

    public func observe(method: String, route: String, status: Int, seconds: Double) {
        let method = Self.methodLabels.contains(method) ? method : "other"
        state.withLock { s in
            let key = Key(method: method, route: route)
            var h = s.latency[key] ?? Histogram()
            if let bucket = RequestMetrics.buckets.firstIndex(where: { seconds <= $0 }) { h.counts[bucket] += 1 }
            h.sum += seconds
            h.total += 1
            s.latency[key] = h
            s.statuses["\(method)\u{0}\(route)\u{0}\(status)", default: 0] += 1
        }
    }

    /// The request metric families.
    public func render() -> String {
        let (latency, statuses) = state.withLock { ($0.latency, $0.statuses) }
        var out = "# HELP sparrow_http_request_duration_seconds Time to produce a response, by route.\n"
        out += "# TYPE sparrow_http_request_duration_seconds histogram\n"
        for (key, h) in latency.sorted(by: { ($0.key.route, $0.key.method) < ($1.key.route, $1.key.method) }) {
            let labels = "method=\"\(escape(key.method))\",route=\"\(escape(key.route))\""
            var cumulative = 0
            for (i, bound) in RequestMetrics.buckets.enumerated() {
                cumulative += h.counts[i]
                out += "sparrow_http_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "sparrow_http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(h.total)\n"
            out += "sparrow_http_request_duration_seconds_sum{\(labels)} \(h.sum)\n"
            out += "sparrow_http_request_duration_seconds_count{\(labels)} \(h.total)\n"
        }
        out += "# HELP sparrow_http_requests_total Requests answered, by route and status.\n"
        out += "# TYPE sparrow_http_requests_total counter\n"
        for (key, n) in statuses.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else { continue }
            out += "sparrow_http_requests_total{method=\"\(escape(parts[0]))\",route=\"\(escape(parts[1]))\",status=\"\(parts[2])\"} \(n)\n"
        }
        return out
    }

    func escape(_ s: String) -> String {
        s.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
    }
}
