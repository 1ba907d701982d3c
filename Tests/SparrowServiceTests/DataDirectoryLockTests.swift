import Testing
import SparrowService

/// One worker, and a short wait for the lock so a refusal comes quickly.
private func configuration(_ directory: TemporaryDirectory) -> ServiceConfiguration {
    var configuration = ServiceConfiguration()
    configuration.dataDirectory = directory.path
    configuration.workers = 1
    configuration.dataDirectoryLockWait = 0.2
    return configuration
}

@Test func aDataDirectoryServesOneServerAtATime() throws {
    let directory = TemporaryDirectory()
    let first = try ServiceCore(configuration: configuration(directory))
    #expect {
        _ = try ServiceCore(configuration: configuration(directory))
    } throws: { error in
        "\(error)".contains("in use by another sparrow serve")
    }
    first.shutdown()
}

@Test func theLockIsReleasedWithItsHolder() throws {
    let directory = TemporaryDirectory()
    do {
        let first = try ServiceCore(configuration: configuration(directory))
        first.shutdown()
    }
    // The first core is gone: its descriptor closed, the next one takes the directory.
    let second = try ServiceCore(configuration: configuration(directory))
    second.shutdown()
}
