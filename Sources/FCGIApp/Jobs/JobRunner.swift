import Foundation
import GRDB
import Logging
import Platform
import Store

/// A job that cannot succeed as asked (`permanent`), or failed this time and may be retried.
public struct JobFailure: Error, Sendable {
    public let message: String
    public let permanent: Bool

    public init(_ message: String, permanent: Bool = false) {
        self.message = message
        self.permanent = permanent
    }
}

/// Wakes the job threads of this process when a handler has just enqueued work, so a job starts at
/// once instead of at the next check; other processes find it at their next check (≤ 1 s).
final class JobSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = false

    func poke() {
        condition.withLock {
            pending = true
            condition.broadcast()
        }
    }

    /// Waits up to `milliseconds` or until poked.
    func wait(milliseconds: Int64) {
        condition.withLock {
            if !pending { _ = condition.wait(until: Date(timeIntervalSinceNow: Double(milliseconds) / 1000)) }
            pending = false
        }
    }
}

/// What a job handler works with: its job, the app, and a transaction that completes the job
/// together with what it publishes.
struct JobContext: Sendable {
    let job: Job
    let owner: String
    let app: App

    /// Decodes the job's JSON payload.
    func payload<T: Decodable>(_ type: T.Type) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(job.payload.utf8)) } catch {
            throw JobFailure("The job's payload is not what a \(job.kind) job needs.", permanent: true)
        }
    }

    /// Commits `change` (typically publishing progress) without finishing the job.
    func publishing<T>(_ change: (Database) throws -> T) throws -> T {
        try app.store.publishing(change)
    }

    /// Commits the job's last change and marks it done in the same transaction: what it publishes
    /// exists exactly when the job counts as done. Throws `JobLeaseLost` if another worker took it.
    func finish(result: String? = nil, _ change: (Database) throws -> Void = { _ in }) throws {
        try app.store.publishing { db in
            // Completed first, so `change` may enqueue the job's successor under the same unique key.
            try Jobs.complete(db, id: job.id, owner: owner, result: result)
            try change(db)
        }
    }
}

/// Job threads: each claims the most overdue job, keeps its lease alive with a heartbeat while it
/// runs, and records the outcome. Started inside every FastCGI worker and by `gomoku-fcgi work`.
public final class JobRunner: @unchecked Sendable {
    private let app: App
    private let threads: Int
    private let ownerPrefix: String
    private let logger = Logger(label: "gomoku.jobs")
    private let lock = NSLock()
    private var stopping = false
    private let group = DispatchGroup()

    public init(app: App, threads: Int) {
        self.app = app
        self.threads = threads
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        ownerPrefix = "\(String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)):\(getpid())"
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    /// Starts the job threads (none when `threads` is 0) and makes sure the recurring jobs exist.
    public func start() {
        guard threads > 0 else { return }
        do { try app.scheduleRecurringJobs() } catch { logger.error("cannot schedule recurring jobs", metadata: ["error": "\(error)"]) }
        for index in 0..<threads {
            group.enter()
            let thread = Thread { [self] in
                loop(owner: "\(ownerPrefix):\(index)")
                group.leave()
            }
            thread.name = "jobs-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Lets running jobs finish (up to `timeout` seconds) and stops the threads. A job still running
    /// after that is taken over by another worker when its lease runs out.
    public func stop(timeout: Double = 10) {
        lock.withLock { stopping = true }
        app.jobSignal.poke()
        _ = group.wait(timeout: .now() + timeout)
    }

    private func loop(owner: String) {
        while !isStopping {
            do {
                if try runNext(owner: owner) { continue }
                let due = try app.store.millisecondsUntilNextJob() ?? 1000
                app.jobSignal.wait(milliseconds: min(max(due, 5), 1000))
            } catch {
                logger.error("job queue unavailable", metadata: ["error": "\(error)"])
                app.jobSignal.wait(milliseconds: 1000)
            }
        }
    }

    /// Claims and runs the most overdue job, if any is due; false when none was.
    func runNext(owner: String) throws -> Bool {
        guard let job = try app.store.claimJob(owner: owner, lease: app.config.jobLease) else { return false }
        run(job, owner: owner)
        return true
    }

    private func run(_ job: Job, owner: String) {
        let started = DispatchTime.now().uptimeNanoseconds
        let heartbeat = startHeartbeat(job: job, owner: owner)
        defer { heartbeat.cancel() }
        let context = JobContext(job: job, owner: owner, app: app)
        do {
            guard let kind = JobKind(rawValue: job.kind) else { throw JobFailure("Unknown job kind \(job.kind).", permanent: true) }
            try app.perform(kind, context)
            // A handler that did not finish explicitly is done when it returns.
            if try app.store.read({ db in try Jobs.job(db, id: job.id)?.state }) == .running {
                try context.finish()
            }
            logger.debug("job done", metadata: ["id": "\(job.id)", "kind": "\(job.kind)", "ms": "\(elapsed(since: started))"])
        } catch let lost as JobLeaseLost {
            logger.warning("job taken over by another worker", metadata: ["id": "\(lost.jobID)"])
        } catch {
            let failure = error as? JobFailure
            let message = failure?.message ?? "Something went wrong on our side."
            if failure == nil { logger.error("job failed", metadata: ["id": "\(job.id)", "kind": "\(job.kind)", "error": "\(error)"]) }
            do {
                let state = try app.store.failJob(id: job.id, owner: owner, error: message, permanent: failure?.permanent ?? false)
                if let state, let kind = JobKind(rawValue: job.kind) {
                    try app.jobFailed(kind, job: job, message: message, willRetry: state == .queued)
                }
            } catch {
                logger.error("cannot record a job failure", metadata: ["id": "\(job.id)", "error": "\(error)"])
            }
        }
    }

    /// Extends the lease every third of its length while the job runs.
    private func startHeartbeat(job: Job, owner: String) -> any DispatchSourceTimer {
        let lease = app.config.jobLease
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + .milliseconds(Int(lease / 3)), repeating: .milliseconds(Int(max(lease / 3, 1))))
        timer.setEventHandler { [app, logger] in
            do {
                if try !app.store.extendLease(jobID: job.id, owner: owner, lease: lease) {
                    logger.warning("job lease lost", metadata: ["id": "\(job.id)"])
                }
            } catch {
                logger.warning("cannot extend a job lease", metadata: ["id": "\(job.id)", "error": "\(error)"])
            }
        }
        timer.resume()
        return timer
    }

    private func elapsed(since start: UInt64) -> String {
        String(format: "%.1f", Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
    }
}
