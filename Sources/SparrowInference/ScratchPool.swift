import Synchronization

/// Float buffers reused across the calls of one kernel: a buffer written on every inference stays
/// in cache from one call to the next, where a fresh allocation may land on cold lines and pay a
/// miss per store. Concurrent calls take different buffers; at most `keep` idle buffers are held.
final class ScratchPool: Sendable {
    private let idle = Mutex<[(address: UInt, count: Int)]>([])
    let keep: Int

    init(keep: Int = 8) {
        self.keep = keep
    }

    /// Runs `body` with a buffer of at least `count` floats (uninitialized).
    func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let taken = idle.withLock { $0.popLast() }
        let buffer: UnsafeMutablePointer<Float>, capacity: Int
        if let taken, taken.count >= count {
            (buffer, capacity) = (UnsafeMutablePointer(bitPattern: taken.address)!, taken.count)
        } else {
            if let taken { UnsafeMutablePointer<Float>(bitPattern: taken.address)!.deallocate() }
            (buffer, capacity) = (.allocate(capacity: max(1, count)), max(1, count))
        }
        defer {
            let kept = idle.withLock { list -> Bool in
                guard list.count < keep else { return false }
                list.append((UInt(bitPattern: buffer), capacity))
                return true
            }
            if !kept { buffer.deallocate() }
        }
        return try body(buffer)
    }

    deinit {
        idle.withLock { list in
            for entry in list { UnsafeMutablePointer<Float>(bitPattern: entry.address)!.deallocate() }
            list.removeAll()
        }
    }
}
