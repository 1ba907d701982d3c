import Foundation
import Testing
import SparrowService

@Test func sha256MatchesKnownVectors() {
    #expect(SHA256Hasher.hash([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256Hasher.hash(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    let hasher = SHA256Hasher()  // incremental equals one-shot
    hasher.update(Array("a".utf8))
    hasher.update(Array("bc".utf8))
    #expect(hasher.finalize() == SHA256Hasher.hash(Array("abc".utf8)))
}

@Test func blobStoreAddressesFilesByDigest() throws {
    let dir = TemporaryDirectory()
    let store = try BlobStore(root: dir.path + "/blobs")
    let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let writer = try store.makeWriter()
    try writer.append(Array(bytes[..<1234]))
    try writer.append(Array(bytes[1234...]))
    let (digest, size) = try writer.commit()
    #expect(digest == SHA256Hasher.hash(bytes))
    #expect(size == bytes.count)
    #expect(store.contains(digest))
    #expect(try store.read(digest) == bytes)
    #expect(try store.path(of: digest).hasSuffix("/\(digest.prefix(2))/\(digest)"))
    #expect(try store.put(bytes) == digest)  // same content, same file
    #expect(store.allDigests() == [digest])
    try store.remove(digest)
    #expect(!store.contains(digest))
}

@Test func blobStoreAbortLeavesNothingAndLimitIsEnforced() throws {
    let dir = TemporaryDirectory()
    let store = try BlobStore(root: dir.path + "/blobs")
    let writer = try store.makeWriter(limit: 10)
    try writer.append([1, 2, 3])
    #expect(FileManager.default.fileExists(atPath: writer.temporaryPath))
    #expect(throws: BlobStoreError.tooLarge(limit: 10)) { try writer.append([UInt8](repeating: 0, count: 8)) }
    writer.abort()
    #expect(!FileManager.default.fileExists(atPath: writer.temporaryPath))
    #expect(store.allDigests().isEmpty)
}

@Test func blobStoreRejectsNonDigestPaths() throws {
    let dir = TemporaryDirectory()
    let store = try BlobStore(root: dir.path + "/blobs")
    #expect(throws: BlobStoreError.self) { try store.path(of: "../../etc/passwd") }
    #expect(throws: BlobStoreError.self) { try store.path(of: String(repeating: "A", count: 64)) }
    #expect(!store.contains("x"))
}

@Test func blobStoreCleansInterruptedWrites() throws {
    let dir = TemporaryDirectory()
    let store = try BlobStore(root: dir.path + "/blobs")
    let writer = try store.makeWriter()
    try writer.append([9, 9, 9])
    let leftover = writer.temporaryPath
    // Simulate a crash: a second store over the same root cleans the temporary directory.
    let reopened = try BlobStore(root: dir.path + "/blobs")
    reopened.removeTemporaryFiles()
    #expect(!FileManager.default.fileExists(atPath: leftover))
    writer.abort()
}

@Test func resourceIDsAreStrict() {
    let id = ResourceID.make(.model)
    #expect(ResourceID.isValid(id, kind: .model))
    #expect(!ResourceID.isValid(id, kind: .job))
    #expect(!ResourceID.isValid("mdl_../../etc", kind: .model))
    #expect(!ResourceID.isValid("mdl_0123456789ABCDEF0123", kind: .model))  // uppercase
    #expect(!ResourceID.isValid("mdl_0123456789abcdef012", kind: .model))   // short
    #expect(!ResourceID.isValid("mdl_0123456789abcdef01234", kind: .model)) // long
    #expect(ResourceID.isValid("mdl_0123456789abcdef0123", kind: .model))
    #expect(ResourceID.isValidName("lenet-300_100.v2"))
    #expect(!ResourceID.isValidName(""))
    #expect(!ResourceID.isValidName("../x"))
    #expect(!ResourceID.isValidName("a b"))
    #expect(!ResourceID.isValidName(String(repeating: "a", count: 65)))
}
