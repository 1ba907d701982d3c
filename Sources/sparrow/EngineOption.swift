import ArgumentParser
import SparrowInference

/// `--engine sparse|dense` for commands that run `.sparrow` artifacts.
extension InferenceEngine: ExpressibleByArgument {}

/// `--kernels baseline|avx2` for the benchmarks.
extension SparseKernelSet: ExpressibleByArgument {}
