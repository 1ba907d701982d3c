import CCPU

/// Which compiled copy of the sparse kernels a layer runs: the same source built for baseline
/// x86-64 / arm64, or for AVX2 with FMA. The best one this CPU supports is the default; the others
/// stay selectable so that tests and benchmarks can compare them on one machine.
public enum SparseKernelSet: String, Sendable, CaseIterable {
    case baseline
    case avx2

    /// Whether this CPU (and OS) can run the set.
    public var isSupported: Bool {
        switch self {
        case .baseline: true
        case .avx2: Self.cpuHasAVX2
        }
    }

    /// The widest set this CPU runs.
    public static let detected: SparseKernelSet = cpuHasAVX2 ? .avx2 : .baseline

    /// The sets this CPU runs.
    public static var supported: [SparseKernelSet] { allCases.filter(\.isSupported) }

    static let cpuHasAVX2 = sparrow_cpu_has_avx2_fma()
}
