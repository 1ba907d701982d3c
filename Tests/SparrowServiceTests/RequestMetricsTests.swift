import SparrowService
import Testing

@Suite struct RequestMetricsTests {
    @Test func rendersOneSeriesPerMethodAndRoute() {
        let metrics = RequestMetrics()
        metrics.observe(method: "GET", route: "/v1/models", status: 200, seconds: 0.002)
        metrics.observe(method: "GET", route: "/v1/models", status: 200, seconds: 0.3)
        metrics.observe(method: "POST", route: "/v1/models", status: 201, seconds: 0.02)
        let text = metrics.render()
        #expect(text.contains("sparrow_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/models\"} 2"))
        #expect(text.contains("sparrow_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/models\",le=\"0.0025\"} 1"))
        #expect(text.contains("sparrow_http_requests_total{method=\"POST\",route=\"/v1/models\",status=\"201\"} 1"))
    }

    @Test func methodsClientsInventShareOneLabel() {
        let metrics = RequestMetrics()
        for i in 0..<100 { metrics.observe(method: "M\(i)", route: "/", status: 405, seconds: 0.001) }
        metrics.observe(method: String(repeating: "A", count: 5000), route: "/", status: 405, seconds: 0.001)
        let text = metrics.render()
        #expect(text.contains("sparrow_http_requests_total{method=\"other\",route=\"/\",status=\"405\"} 101"))
        #expect(!text.contains("M17") && !text.contains("AAAA"))
        #expect(text.split(separator: "\n").count < 30)
    }
}
