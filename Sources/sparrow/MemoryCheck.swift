import FoundationEssentials
import Glibc
import SparrowCompression
import SparrowModel

/// Refuses work whose allocation alone would exceed the memory this process may use: a small
/// forged artifact can name a 2^31-value layer, and neither the kernel's OOM killer nor a failed
/// allocation is an error message.
enum MemoryCheck {
    static func require(_ bytes: Int, for what: String) throws {
        let (available, source) = availableMemory()
        guard UInt64(max(0, bytes)) <= available else {
            throw CLIError("\(what) needs \(gib(UInt64(bytes))), more than the \(gib(available)) \(source)")
        }
    }

    /// What running or exporting `artifact` on an engine allocates for its weights. Decoding to
    /// dense holds up to four copies at its peak (the floats, the ONNX tensors' bytes, the parsed
    /// or serialized model, the runtime's tensors).
    static func require(_ artifact: Artifact, dense: Bool, path: String) throws {
        try require(dense ? 4 * artifact.decodedBytes : artifact.packedBytesBound,
                    for: dense ? "decoding \(path) to dense weights" : "packing \(path) for the sparse engine")
    }

    /// The smallest of physical memory, the cgroup's limit (a container's `--memory`) and what the
    /// address-space limit (`ulimit -v`) leaves, with where it comes from.
    static func availableMemory() -> (bytes: UInt64, source: String) {
        var best = (ProcessInfo.processInfo.physicalMemory, "of memory this machine has")
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let limit = UInt64(text.filter { !$0.isWhitespace }), limit < best.0 {
            best = (limit, "this container may use (cgroup memory.max)")
        }
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {  // RLIM_INFINITY
            let used = virtualSize()
            let left = limit.rlim_cur > used ? UInt64(limit.rlim_cur - used) : 0
            if left < best.0 { best = (left, "left under this process's address-space limit (ulimit -v)") }
        }
        return best
    }

    /// This process's virtual size, from /proc/self/statm (pages).
    private static func virtualSize() -> rlim_t {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").first.flatMap({ rlim_t($0) }) else { return 0 }
        return pages * rlim_t(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func gib(_ bytes: UInt64) -> String {
        bytes >= 1 << 30 ? String(cFormat: "%.1f GiB", Double(bytes) / Double(1 << 30))
                         : String(cFormat: "%.0f MiB", (Double(bytes) / Double(1 << 20)).rounded(.up))
    }
}
