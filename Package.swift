// swift-tools-version:6.1
import PackageDescription
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The numeric kernels (inference and training) compile for baseline x86-64 / arm64 so that one
// binary runs on any edge server. SPARROW_TARGET_CPU (an LLVM CPU name such as haswell or znver4)
// builds them for one CPU family instead: wider SIMD, but the binary needs that CPU.
let kernelSettings: [SwiftSetting] = ProcessInfo.processInfo.environment["SPARROW_TARGET_CPU"]
    .map { [.unsafeFlags(["-target-cpu", $0])] } ?? []

// SparrowKernels is compiled twice: as is (baseline, the fallback) and as SparrowKernelsAVX2 for
// x86-64 CPUs with AVX2 and FMA (Haswell, Zen and later), from the same source through a symlink.
// SparrowInference picks one at run time, so the one binary still runs on every edge server.
#if arch(x86_64)
let avx2Settings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"]), .define("SPARROW_FMA")]
#else
let avx2Settings: [SwiftSetting] = []
#endif

// Dependencies point one way:
//   SparrowModel (tensors, ONNX, npy/npz/IDX) <- SparrowCompression (no I/O) <- SparrowInference
//   (which also uses the leaf SparrowKernels / SparrowKernelsAVX2)
//   <- SparrowTraining; SparrowHTTP knows nothing of models; SparrowService joins them all.
let package = Package(
    name: "Sparrow",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sparrow", targets: ["sparrow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Without the default BinaryDelimitedStreams trait, whose Foundation streams would link ICU.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCPU", path: "Sources/CCPU"),

        .target(name: "SparrowModel",
                dependencies: ["CZlib", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "SparrowCompression", dependencies: ["SparrowModel"]),
        .target(name: "SparrowKernels", dependencies: ["CCPU"], swiftSettings: kernelSettings),
        .target(name: "SparrowKernelsAVX2", dependencies: ["CCPU"], swiftSettings: avx2Settings),
        .target(name: "SparrowInference",
                dependencies: ["SparrowModel", "SparrowCompression", "SparrowKernels", "SparrowKernelsAVX2",
                               "COpenBLAS", "CCPU"],
                swiftSettings: kernelSettings),
        .target(name: "SparrowTraining",
                dependencies: ["SparrowModel", "SparrowCompression", "SparrowInference", "COpenBLAS"],
                swiftSettings: kernelSettings),
        .target(name: "SparrowHTTP",
                dependencies: ["CZlib", "COpenSSL", .product(name: "Logging", package: "swift-log")]),
        .target(name: "SparrowService",
                dependencies: ["SparrowModel", "SparrowCompression", "SparrowInference", "SparrowTraining",
                               "SparrowHTTP", "CSQLite", "COpenSSL",
                               .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "sparrow",
                          dependencies: ["SparrowModel", "SparrowCompression", "SparrowInference",
                                         "SparrowTraining", "SparrowService", "SparrowHTTP", "COpenSSL",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")]),

        .testTarget(name: "SparrowModelTests", dependencies: ["SparrowModel"]),
        .testTarget(name: "SparrowCompressionTests", dependencies: ["SparrowCompression", "SparrowModel"]),
        .testTarget(name: "SparrowInferenceTests",
                    dependencies: ["SparrowInference", "SparrowCompression", "SparrowModel"]),
        .testTarget(name: "SparrowTrainingTests",
                    dependencies: ["SparrowTraining", "SparrowInference", "SparrowCompression", "SparrowModel"]),
        .testTarget(name: "SparrowHTTPTests", dependencies: ["SparrowHTTP"]),
        .testTarget(name: "SparrowServiceTests", dependencies: ["SparrowService", "SparrowHTTP"]),
    ],
    swiftLanguageModes: [.v6]
)
