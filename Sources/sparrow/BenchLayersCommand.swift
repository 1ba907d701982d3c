import ArgumentParser
import FoundationEssentials
import Glibc
import SparrowInference

/// `sparrow bench-layers`: EIE's Table III layers, dense OpenBLAS against the sparse engine.
struct BenchLayersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-layers",
        abstract: "Time EIE's benchmark layers (ISCA 2016, Table III): dense BLAS vs Sparrow's sparse engine.")

    @Flag(help: "Print [{layer, batch, dense_us, sparse_us, ...}] as JSON.")
    var json = false

    @Option(help: "Timed rounds per layer and batch (medians are reported).")
    var repeats = 7

    @Option(help: "Comma-separated batch sizes.")
    var batches = "1,64"

    @Option(help: "Comma-separated layer names (default: all of Table III).")
    var layers: String?

    @Option(help: "Sparse engine threads (default: cores, at most 4).")
    var threads: Int?

    @Flag(help: "Skip the cache sweep before each timed call, so both contenders may start warm.")
    var warm = false

    @Flag(help: "Let the sparse engine's helper threads park before each timed call (a request reaching an idle server) instead of keeping them awake as between the layers of one inference.")
    var idleHelpers = false

    @Flag(help: "Time only the sparse engine: best and median of 400 calls back to back (warm) and of 100 calls each after the cache sweep (cold), over the layer's 8 input vectors in turn. Stable enough to compare kernels on a noisy machine.")
    var engineOnly = false

    @Option(help: "Sparse kernel set (default: the widest this CPU runs).")
    var kernels: SparseKernelSet?

    func validate() throws {
        guard (1...1000).contains(repeats) else { throw CLIError("--repeats must be 1...1000") }
        guard parsedBatches != nil else { throw CLIError("--batches must be positive integers, e.g. 1,64") }
        if let t = threads, !(1...64).contains(t) { throw CLIError("--threads must be 1...64") }
        if let k = kernels, !k.isSupported {
            throw CLIError(SparseEngineError.unsupportedKernels(k.rawValue).description)
        }
        if let names = layers?.split(separator: ","), let bad = names.first(where: { n in
            !SparseBenchmark.eieLayers.contains { $0.name.lowercased() == n.lowercased() } }) {
            throw CLIError("unknown layer \(bad); known: \(SparseBenchmark.eieLayers.map(\.name).joined(separator: ", "))")
        }
    }

    var parsedBatches: [Int]? {
        let v = batches.split(separator: ",").compactMap { Int($0.filter { $0 != " " && $0 != "\t" }) }
        return !v.isEmpty && v.count == batches.split(separator: ",").count && v.allSatisfy({ (1...4096).contains($0) }) ? v : nil
    }

    func run() throws {
        Self.reexecWithShortBLASSpin()
        let selected = layers.map { names in
            let wanted = Set(names.split(separator: ",").map { $0.lowercased() })
            return SparseBenchmark.eieLayers.filter { wanted.contains($0.name.lowercased()) }
        } ?? SparseBenchmark.eieLayers
        let threads = threads ?? SparseLinearLayer.defaultThreads
        if engineOnly { return try runEngineOnly(selected, threads: threads) }
        let bandwidth = SparseBenchmark.measureReadBandwidth(threads: threads)
        if !json {
            print(String(cFormat: "streaming read bandwidth: %.1f GB/s (%ld threads); sparse threads: %ld; kernels: ",
                         bandwidth / 1e9, threads, threads) + (kernels ?? .detected).rawValue
                  + String(cFormat: "; medians of %ld rounds", repeats) + (warm ? "; warm caches" : "; cold caches")
                  + (idleHelpers ? "; helpers parked" : "; helpers awake")
                  + "; OpenBLAS spin 2^" + (getenv(SparseBenchmark.blasSpinVariable).map { String(cString: $0) } ?? "28") + " cycles")
            print("sizes are in×out as in EIE Table III; W is out×in; 4-bit shared weights; paper = Table IV CPU (i7-5930K, MKL, batch 1)")
            print("medians of the rounds; best = the fastest round of each contender (best× = dense best / sparse best); "
                  + "/fl rnd = median of sparse / floor with each round's bandwidth, timed right before its sparse call")
            print(Self.header)
        }
        let results = try SparseBenchmark.run(layers: selected, batches: parsedBatches ?? [1, 64], repeats: repeats,
                                              threads: threads, bandwidth: bandwidth, coldCaches: !warm, idleHelpers: idleHelpers,
                                              kernels: kernels ?? .detected) { r in
            if !json { print(Self.row(r)) }
        }
        if json { try Self.printJSON(results) }
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    func runEngineOnly(_ selected: [SparseBenchmark.Layer], threads: Int) throws {
        if !json {
            print("sparse engine alone; threads: \(threads); kernels: " + (kernels ?? .detected).rawValue)
            print([Self.pad("layer", 8), Self.lpad("batch", 5), Self.lpad("warm best", 10), Self.lpad("warm med", 10),
                   Self.lpad("cold best", 10), Self.lpad("cold q1", 10), Self.lpad("cold med", 10),
                   Self.lpad("scatter", 9), Self.lpad("best/sc", 7)].joined(separator: " ")
                  + "   (µs; scatter = the visited words' y updates alone, split over the threads)")
        }
        let results = try SparseBenchmark.timeEngine(layers: selected, batches: parsedBatches ?? [1, 64], threads: threads,
                                                     kernels: kernels ?? .detected) { r in
            if !json {
                print([Self.pad(r.layer, 8), Self.lpad("\(r.batch)", 5), Self.f(r.warmBestMicros, 10),
                       Self.f(r.warmMedianMicros, 10), Self.f(r.coldBestMicros, 10), Self.f(r.coldQuartileMicros, 10),
                       Self.f(r.coldMedianMicros, 10), r.scatterBoundMicros.map { Self.f($0, 9) } ?? Self.lpad("-", 9),
                       r.scatterBoundMicros.map { Self.f(r.warmBestMicros / $0, 7, 2) } ?? Self.lpad("-", 7)]
                    .joined(separator: " "))
            }
        }
        if json { try Self.printJSON(results) }
    }

    static let header = [pad("layer", 8), pad("in×out", 11), lpad("W%", 5), lpad("act%", 5), lpad("batch", 5),
                         lpad("dense µs", 10), lpad("sparse µs", 10), lpad("speedup", 7), lpad("floor µs", 9),
                         lpad("/floor", 7), lpad("/fl rnd", 7), lpad("best sps", 9), lpad("best×", 7), lpad("best/fl", 7),
                         lpad("paper dns", 10), lpad("paper sps", 10), lpad("paper×", 7)]
        .joined(separator: " ")

    static func row(_ r: SparseBenchmark.Result) -> String {
        let paper = r.paperDenseMicros.flatMap { d in r.paperSparseMicros.map { (d, $0) } }
        return [pad(r.layer, 8), pad("\(r.inFeatures)×\(r.outFeatures)", 11), f(r.weightDensity * 100, 5),
                f(r.activationDensity * 100, 5), lpad("\(r.batch)", 5), f(r.denseMicros, 10), f(r.sparseMicros, 10),
                f(r.speedup, 7, 2), f(r.floorMicros, 9), f(r.sparseMicros / r.floorMicros, 7, 2),
                r.perSameRoundFloor.map { f($0, 7, 2) } ?? lpad("-", 7), f(r.sparseBestMicros, 9), f(r.denseBestMicros / r.sparseBestMicros, 7, 2),
                f(r.sparseBestMicros / r.floorMicros, 7, 2),
                paper.map { f($0.0, 10) } ?? lpad("-", 10), paper.map { f($0.1, 10) } ?? lpad("-", 10),
                paper.map { f($0.0 / $0.1, 7, 2) } ?? lpad("-", 7)].joined(separator: " ")
    }

    static func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
    static func lpad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
    static func f(_ v: Double, _ width: Int, _ decimals: Int = 1) -> String {
        lpad(String(cFormat: "%.\(decimals)f", v), width)
    }

    /// OpenBLAS reads its spin time only when it loads, so the benchmark runs itself again with the
    /// shortest spin set (once: the variable is then present). If that fails it carries on with the
    /// long default and the long pauses that go with it.
    static func reexecWithShortBLASSpin() {
        guard getenv(SparseBenchmark.blasSpinVariable) == nil else { return }
        setenv(SparseBenchmark.blasSpinVariable, "4", 1)
        var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", argv)
        for p in argv { free(p) }
        unsetenv(SparseBenchmark.blasSpinVariable)
    }
}
