import Foundation
import GRDB

/// Copies the write-ahead log back into the database file on a thread of its own, so that no request
/// pays for it. With SQLite's default, the commit that takes the log past 1,000 pages does the copy: at
/// 250 moves/s that was one move request every third of a second taking 12–15 ms more (4 MB copied and
/// an fdatasync) — the p99 of the move. The `serve` master runs one; its workers open the store with
/// `.inBackground`, which leaves them only a backstop.
///
/// Checkpoints are PASSIVE: they never wait for readers or block writers; frames still in use by a
/// reader are copied on a later pass.
public final class WALCheckpointer: @unchecked Sendable {
    private let store: Store
    private let interval: useconds_t
    private let onError: @Sendable (any Error) -> Void
    private let lock = NSLock()
    private var stopped = false

    /// `interval`: seconds between passes. `onError` hears of failures other than a concurrent checkpoint:
    /// the first of a run of them, then at most once a minute while they go on (a removed or full disk
    /// would otherwise log five times a second).
    public init(store: Store, interval: Double = 0.2, onError: @escaping @Sendable (any Error) -> Void) {
        self.store = store
        self.interval = useconds_t(max(0.001, interval) * 1_000_000)
        self.onError = onError
    }

    /// One pass; returns the log's frames and how many of them are now in the database file.
    @discardableResult
    public func checkpoint() throws -> (walFrames: Int, checkpointed: Int) {
        do {
            let result = try store.database.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            return (result.walFrameCount, result.checkpointedFrameCount)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            // Another connection (a worker's backstop, a CGI process) is checkpointing right now.
            return (0, 0)
        }
    }

    /// Starts the background thread. It blocks every signal, so that a process which waits for its
    /// signals with `sigtimedwait` (the master) still receives all of them on its own thread.
    public func start() {
        let thread = Thread { [self] in
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, nil)
            var reports = FailureReports(every: 60)
            while !isStopped {
                usleep(interval)
                guard !isStopped else { break }
                do {
                    try checkpoint()
                    reports.succeeded()
                } catch {
                    if reports.shouldReport(at: Date()) { onError(error) }
                }
            }
        }
        thread.name = "wal-checkpointer"
        thread.start()
    }

    /// Ends the thread after its current pass.
    public func stop() { lock.withLock { stopped = true } }

    private var isStopped: Bool { lock.withLock { stopped } }
}

/// When to report a failure that repeats: the first of a run of failures, then once every `interval`
/// seconds while it goes on; a success starts a new run.
public struct FailureReports: Sendable {
    private let interval: TimeInterval
    private var lastReport: Date?

    public init(every interval: TimeInterval) { self.interval = interval }

    /// A failure happened at `now`: true when it should be reported.
    public mutating func shouldReport(at now: Date) -> Bool {
        if let lastReport, now.timeIntervalSince(lastReport) < interval { return false }
        lastReport = now
        return true
    }

    public mutating func succeeded() { lastReport = nil }
}
