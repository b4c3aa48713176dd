import Foundation
import GRDB

/// One background job: what to do (`kind` + JSON `payload`), where it is in its life, and its lease.
public struct Job: Sendable, Equatable {
    public enum State: String, Sendable { case queued, running, done, failed }

    public let id: Int64
    public let kind: String
    public let payload: String
    public let uniqueKey: String?
    public let state: State
    /// Attempts started so far, including the running one.
    public let attempts: Int
    public let maxAttempts: Int
    /// Milliseconds since 1970 before which a queued job is not started.
    public let runAfter: Int64
    public let leaseOwner: String?
    /// Milliseconds since 1970 when a running job's lease ends and another worker may take it.
    public let leaseUntil: Int64?
    public let result: String?
    public let error: String?
    public let createdAt: Int64
    public let updatedAt: Int64

    init(row: Row) {
        id = row["id"]; kind = row["kind"]; payload = row["payload"]; uniqueKey = row["unique_key"]
        state = State(rawValue: row["state"]) ?? .failed
        attempts = row["attempts"]; maxAttempts = row["max_attempts"]; runAfter = row["run_after"]
        leaseOwner = row["lease_owner"]; leaseUntil = row["lease_until"]
        result = row["result"]; error = row["error"]; createdAt = row["created_at"]; updatedAt = row["updated_at"]
    }

    /// Whether the job will still run (or is running).
    public var isActive: Bool { state == .queued || state == .running }
}

/// The worker that finished a job no longer held its lease: another worker took the job over.
public struct JobLeaseLost: Error, Sendable {
    public let jobID: Int64
}

/// The job table: enqueued inside the caller's transaction (like a notification), claimed with a
/// lease, retried with exponential backoff, given up after `max_attempts`.
public enum Jobs {
    /// Adds a job in the caller's transaction and returns its id. With a `uniqueKey`, a job already
    /// queued or running under that key is reused instead (its id is returned).
    @discardableResult
    public static func enqueue(_ db: Database, kind: String, payload: String = "{}", uniqueKey: String? = nil,
                               delay: Int64 = 0, maxAttempts: Int = 5) throws -> Int64 {
        if let uniqueKey, let existing = try activeJob(db, uniqueKey: uniqueKey) { return existing.id }
        let now = unixMillis()
        try db.execute(sql: """
            INSERT INTO jobs (kind, payload, unique_key, state, max_attempts, run_after, created_at, updated_at)
            VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)
            """, arguments: [kind, payload, uniqueKey, max(1, maxAttempts), now + max(0, delay), now, now])
        return db.lastInsertedRowID
    }

    public static func job(_ db: Database, id: Int64) throws -> Job? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM jobs WHERE id = ?"), arguments: [id]).map(Job.init)
    }

    /// The queued or running job holding `uniqueKey`, if any.
    public static func activeJob(_ db: Database, uniqueKey: String) throws -> Job? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM jobs WHERE unique_key = ? AND state IN ('queued', 'running')"),
                         arguments: [uniqueKey]).map(Job.init)
    }

    /// The newest job ever enqueued under `uniqueKey` (active or finished).
    public static func latestJob(_ db: Database, uniqueKey: String) throws -> Job? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM jobs WHERE unique_key = ? ORDER BY id DESC LIMIT 1"),
                         arguments: [uniqueKey]).map(Job.init)
    }

    /// The newest jobs, for the admin listing; `state` narrows it.
    public static func recent(_ db: Database, state: Job.State? = nil, limit: Int = 50) throws -> [Job] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM jobs WHERE ? IS NULL OR state = ? ORDER BY id DESC LIMIT ?"),
                         arguments: [state?.rawValue, state?.rawValue, limit]).map(Job.init)
    }

    /// Marks a claimed job done in the caller's transaction (where it also publishes its result).
    /// Throws `JobLeaseLost`, rolling the transaction back, when another worker has taken it over.
    public static func complete(_ db: Database, id: Int64, owner: String, result: String? = nil) throws {
        try db.execute(sql: """
            UPDATE jobs SET state = 'done', result = ?, error = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ?
            WHERE id = ? AND state = 'running' AND lease_owner = ?
            """, arguments: [result, unixMillis(), id, owner])
        if db.changesCount == 0 { throw JobLeaseLost(jobID: id) }
    }

    /// The wait before attempt `attempts + 1`: doubling from `base`, capped, with ±20 % jitter so
    /// jobs that failed together do not all retry together.
    public static func backoff(afterAttempts attempts: Int, base: Int64 = 2_000, cap: Int64 = 300_000) -> Int64 {
        let exponent = min(max(attempts - 1, 0), 20)
        let plain = min(cap, base << Int64(exponent))
        let jitter = Int64.random(in: -(plain / 5)...(plain / 5))
        return max(base / 2, plain + jitter)
    }
}

public extension Store {
    /// Claims the job most overdue — a queued one whose time has come, or a running one whose lease
    /// ran out — for `owner` for `lease` milliseconds. A job that used up its attempts while its
    /// worker died is marked failed instead of being run again.
    func claimJob(owner: String, lease: Int64, kinds: [String]? = nil) throws -> Job? {
        try write { db in
            let now = unixMillis()
            try db.execute(sql: """
                UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL, updated_at = ?,
                    error = 'The worker running it stopped, ' || attempts || ' time(s); giving up.'
                WHERE state = 'running' AND lease_until <= ? AND attempts >= max_attempts
                """, arguments: [now, now])
            var kindFilter = ""
            var arguments: [any DatabaseValueConvertible] = [now]
            if let kinds {
                kindFilter = " AND kind IN (" + Array(repeating: "?", count: max(kinds.count, 1)).joined(separator: ",") + ")"
                arguments += kinds.isEmpty ? [""] : kinds
            }
            let candidate = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM jobs WHERE state = 'running' AND lease_until <= ?"
                                                + kindFilter + " ORDER BY lease_until LIMIT 1"), arguments: StatementArguments(arguments))
                ?? Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM jobs WHERE state = 'queued' AND run_after <= ?"
                                  + kindFilter + " ORDER BY run_after, id LIMIT 1"), arguments: StatementArguments(arguments))
            guard let candidate else { return nil }
            try db.execute(sql: """
                UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?, updated_at = ?
                WHERE id = ?
                """, arguments: [owner, now + lease, now, candidate])
            return try Jobs.job(db, id: candidate)
        }
    }

    /// Extends the lease of a job still held by `owner`; false when it was lost.
    func extendLease(jobID: Int64, owner: String, lease: Int64) throws -> Bool {
        try write { db in
            try db.execute(sql: "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running' AND lease_owner = ?",
                           arguments: [unixMillis() + lease, jobID, owner])
            return db.changesCount == 1
        }
    }

    /// Records a failed attempt: the job is queued again after a backoff, or — when `permanent` or out
    /// of attempts — marked failed with `error`, which is what the user is shown. Returns the new state.
    @discardableResult
    func failJob(id: Int64, owner: String, error: String, permanent: Bool = false) throws -> Job.State? {
        try write { db in
            guard let job = try Jobs.job(db, id: id), job.state == .running, job.leaseOwner == owner else { return nil }
            let giveUp = permanent || job.attempts >= job.maxAttempts
            let now = unixMillis()
            try db.execute(sql: """
                UPDATE jobs SET state = ?, error = ?, run_after = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?
                """, arguments: [giveUp ? "failed" : "queued", error, now + (giveUp ? 0 : Jobs.backoff(afterAttempts: job.attempts)), now, id])
            return giveUp ? .failed : .queued
        }
    }

    /// Milliseconds until the next queued job is due or a lease runs out (nil when nothing waits).
    func millisecondsUntilNextJob() throws -> Int64? {
        try read { db in
            let next = try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT MIN(t) FROM (SELECT MIN(run_after) AS t FROM jobs WHERE state = 'queued'
                                    UNION ALL SELECT MIN(lease_until) FROM jobs WHERE state = 'running')
                """))
            return next.map { max(0, $0 - unixMillis()) }
        }
    }

    /// Deletes finished jobs last touched more than `age` milliseconds ago; returns how many.
    @discardableResult
    func purgeFinishedJobs(olderThan age: Int64) throws -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM jobs WHERE state IN ('done', 'failed') AND updated_at < ?", arguments: [unixMillis() - age])
            return db.changesCount
        }
    }
}
