import COpenBLAS
import FoundationEssentials

/// OpenBLAS threading policy. Inference GEMMs here are small (batch-1 rows, LeNet-sized convolutions),
/// where OpenBLAS's thread hand-off costs more than it saves, and a server already runs requests in
/// parallel; so unless the environment chooses (OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS or
/// OMP_NUM_THREADS), the first runtime created pins OpenBLAS to one thread. See docs/benchmarks/dense.md.
///
/// Pinning alone leaves the worker threads OpenBLAS started at load busy-waiting (sched_yield in a
/// loop) for their timeout, about 0.1 s: on a two-core edge box that took a core from the sparse
/// engine's helpers during every short-lived `infer` or benchmark. They are shut down instead.
enum BLASThreads {
    static let configured: Void = {
        let environment = ProcessInfo.processInfo.environment
        let chosen = ["OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"].contains { environment[$0] != nil }
        if !chosen {
            openblas_set_num_threads(1)
            _ = blas_thread_shutdown_()
        }
    }()
}
