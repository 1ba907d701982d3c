#if canImport(Glibc)
import Glibc
#endif

/// Bytes waiting for the client, in order: buffers, and file regions read lazily in slices so a
/// large file never sits in memory.
struct OutputQueue {
    private enum Item {
        case bytes([UInt8], offset: Int)
        case file(fd: Int32, offset: Int, remaining: Int)
    }

    private var items: [Item] = []
    private var head = 0
    /// Bytes queued in buffers (files not counted): what a stream writer's backpressure watches.
    private(set) var bufferedBytes = 0
    /// Files queued and still open.
    private(set) var queuedFiles = 0
    static let fileSlice = 256 * 1024

    var isEmpty: Bool { head == items.count }

    mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        bufferedBytes += bytes.count
        // Coalesce small pieces (head + small body, pipelined responses) into one send.
        if head < items.count, case .bytes(var last, let offset) = items[items.count - 1],
           last.count - offset + bytes.count <= 64 * 1024 {
            items[items.count - 1] = .bytes([], offset: 0)  // release the old reference before appending
            last.append(contentsOf: bytes)
            items[items.count - 1] = .bytes(last, offset: offset)
            return
        }
        items.append(.bytes(bytes, offset: 0))
    }

    /// Queues `length` bytes of an open file from `offset`; the queue closes `fd` when done.
    mutating func appendFile(fd: Int32, offset: Int, length: Int) {
        items.append(.file(fd: fd, offset: offset, remaining: length))
        queuedFiles += 1
    }

    /// Hands the next contiguous bytes to `write`, which returns how many it took (0: none now).
    /// Returns false if a file read failed (the response cannot be completed).
    mutating func drain(_ write: (UnsafeRawBufferPointer) -> Int?) -> Bool {
        while head < items.count {
            switch items[head] {
            case .bytes(let bytes, let offset):
                guard let n = bytes.withUnsafeBytes({ write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }),
                      n > 0 else { return true }
                bufferedBytes -= n
                if offset + n == bytes.count { popHead() } else { items[head] = .bytes(bytes, offset: offset + n) }
            case .file(let fd, let offset, let remaining):
                if remaining == 0 { close(fd); queuedFiles -= 1; popHead(); continue }
                var slice = [UInt8](repeating: 0, count: min(remaining, Self.fileSlice))
                let got = slice.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
                guard got > 0 else { close(fd); queuedFiles -= 1; popHead(); return false }
                slice.removeSubrange(got...)
                items[head] = .file(fd: fd, offset: offset + got, remaining: remaining - got)
                items.insert(.bytes(slice, offset: 0), at: head)
                bufferedBytes += got
            }
        }
        return true
    }

    /// Drops everything, closing files.
    mutating func removeAll() {
        for item in items[head...] { if case .file(let fd, _, _) = item { close(fd) } }
        items = []
        head = 0
        bufferedBytes = 0
        queuedFiles = 0
    }

    private mutating func popHead() {
        head += 1
        if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
        else if head > 32 { items.removeFirst(head); head = 0 }
    }
}
