import FoundationEssentials
import SparrowHTTP
import Logging

/// The service without its HTTP face: storage, the job pool, loaded models.
///
/// Layout under the data directory: `catalog.db` (SQLite, WAL) and `blobs/` (content-addressed
/// files, `blobs/tmp/` for writes in progress).
public final class ServiceCore: @unchecked Sendable {
    public let configuration: ServiceConfiguration
    public let catalog: Catalog
    public let blobs: BlobStore
    public let models = ModelCache()
    public let statistics = InferenceStatistics()
    public let board = JobBoard()
    public let logger: Logger
    let queue: JobQueue
    /// Serialises "commit a blob, insert its row" against "delete rows, collect blobs", so garbage
    /// collection never removes a file a concurrent upload is about to reference.
    let storageLock = ConditionLock()
    /// Serialises cancellations' check of a job's state with the change they make.
    let cancellationLock = ConditionLock()
    private let directoryLock: DataDirectoryLock

    public init(configuration: ServiceConfiguration, logger: Logger = Logger(label: "sparrow.service")) throws {
        self.configuration = configuration
        self.logger = logger
        let root = configuration.dataDirectory
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        directoryLock = try DataDirectoryLock(directory: root, wait: configuration.dataDirectoryLockWait) {
            logger.info("waiting for the data directory: another sparrow serve holds it", metadata: ["data_dir": "\(root)"])
        }
        catalog = try Catalog(path: root + "/catalog.db")
        blobs = try BlobStore(root: root + "/blobs")
        let board = self.board
        queue = JobQueue(workers: configuration.workers, queueLimit: configuration.queueLimit) { id, stage, progress in
            board.progress(id, stage: stage, progress: progress)
        }
        try recover()
    }

    /// Brings storage to a consistent state after any stop, clean or `kill -9`: drops partial
    /// writes and unreferenced files, re-queues jobs that were running (bounded attempts) and
    /// resumes the queued ones in submission order.
    func recover() throws {
        blobs.removeTemporaryFiles()
        try migrate()
        try collectGarbage()
        for var job in try catalog.jobs(status: .running) {
            if job.attempts >= configuration.maxAttempts {
                job.status = .failed
                job.error = "the server stopped while this job ran, \(job.attempts) times; giving up"
                job.finishedAt = Catalog.now()
                logger.warning("job gave up after restarts", metadata: ["job": "\(job.id)"])
            } else {
                job.status = .queued
                job.stage = "queued"
                job.progress = 0
                logger.info("job re-queued after restart", metadata: ["job": "\(job.id)"])
            }
            try catalog.updateJob(job)
        }
        for job in try catalog.jobs(status: .queued) {
            board.update(job.id, status: .queued, stage: job.stage, progress: job.progress)
            try queue.submit(id: job.id, force: true) { [weak self] context in self?.runJob(context) }
        }
    }

    /// Removes files no catalog row refers to.
    func collectGarbage() throws {
        storageLock.lock(); defer { storageLock.unlock() }
        let referenced = try catalog.referencedDigests()
        for digest in blobs.allDigests() where !referenced.contains(digest) {
            try? blobs.remove(digest)
        }
    }

    /// Stops the job pool: waiting jobs stay queued in storage, running ones are interrupted and
    /// re-queued, so the next start resumes them.
    public func shutdown() {
        let dropped = queue.shutdown(grace: configuration.shutdownGrace)
        logger.info("job pool stopped", metadata: ["left_queued": "\(dropped.count)"])
    }

    public var queueDepth: Int { queue.queueDepth }
    public var busyWorkers: Int { queue.busyWorkers }
}
