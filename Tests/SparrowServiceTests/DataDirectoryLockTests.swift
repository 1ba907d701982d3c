import Testing
import SparrowService

@Test func aDataDirectoryServesOneServerAtATime() throws {
    let directory = TemporaryDirectory()
    var configuration = ServiceConfiguration()
    configuration.dataDirectory = directory.path
    configuration.workers = 1
    configuration.dataDirectoryLockWait = 0.2
    let first = try ServiceCore(configuration: configuration)
    #expect {
        _ = try ServiceCore(configuration: configuration)
    } throws: { error in
        "\(error)".contains("in use by another sparrow serve")
    }
    first.shutdown()
}

@Test func theLockIsReleasedWithItsHolder() throws {
    let directory = TemporaryDirectory()
    var configuration = ServiceConfiguration()
    configuration.dataDirectory = directory.path
    configuration.workers = 1
    configuration.dataDirectoryLockWait = 0.2
    do {
        let first = try ServiceCore(configuration: configuration)
        first.shutdown()
    }
    // The first core is gone: its descriptor closed, the next one takes the directory.
    let second = try ServiceCore(configuration: configuration)
    second.shutdown()
}
