// swift-tools-version:6.0
// The anchor for benchmarks/http_bench.sh: a minimal Hummingbird 2 server answering the same tiny
// JSON endpoint as `sparrow http-bench-server`. Never a dependency of the product.
import PackageDescription

let package = Package(
    name: "HBBenchServer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .executableTarget(name: "HBBenchServer",
                          dependencies: [.product(name: "Hummingbird", package: "hummingbird")]),
    ]
)
