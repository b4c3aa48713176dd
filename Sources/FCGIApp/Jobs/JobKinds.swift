import Foundation
import GRDB
import Store

/// Every kind of background job, with one exhaustive switch from kind to handler.
enum JobKind: String, CaseIterable, Sendable {
    /// Recurring upkeep: expires challenges, purges expired sessions and old finished jobs.
    case maintenance
    /// Sleeps for `seconds` and reports which process finished it; for operators checking that jobs
    /// run and survive a dead worker (`gomoku-fcgi jobs enqueue diagnostic-sleep '{"seconds":5}'`).
    case diagnosticSleep = "diagnostic-sleep"
    /// Builds a student's exercise set for a lesson, pushing its progress (payload: `LessonJobPayload`).
    case lessonExercises = "lesson-exercises"
}

extension App {
    static let maintenanceInterval: Int64 = 30_000
    static let finishedJobRetention: Int64 = 7 * 86_400_000

    func perform(_ kind: JobKind, _ context: JobContext) throws {
        switch kind {
        case .maintenance: try runMaintenance(context)
        case .diagnosticSleep: try diagnosticSleep(context)
        case .lessonExercises: try generateLessonExercises(context)
        }
    }

    /// Tells the user whose job failed, when the kind has one.
    func jobFailed(_ kind: JobKind, job: Job, message: String, willRetry: Bool) throws {
        switch kind {
        case .maintenance, .diagnosticSleep: break
        case .lessonExercises: try lessonExercisesFailed(job, willRetry: willRetry)
        }
    }

    /// Jobs that must always exist once; their unique keys make this idempotent across workers.
    func scheduleRecurringJobs() throws {
        try store.write { db in
            try Jobs.enqueue(db, kind: JobKind.maintenance.rawValue, uniqueKey: JobKind.maintenance.rawValue)
        }
    }

    /// Enqueues a job in the caller's transaction and wakes this process's job threads after commit.
    func enqueueJob(_ db: Database, _ kind: JobKind, payload: String = "{}", uniqueKey: String? = nil,
                    delay: Int64 = 0, maxAttempts: Int = 5) throws -> Int64 {
        let id = try Jobs.enqueue(db, kind: kind.rawValue, payload: payload, uniqueKey: uniqueKey, delay: delay, maxAttempts: maxAttempts)
        db.afterNextTransaction { [jobSignal] _ in jobSignal.poke() }
        return id
    }

    private func runMaintenance(_ context: JobContext) throws {
        // Challenges are expired in their own transaction with the panels they change.
        try store.publishing { db in
            for challenge in try Store.expireChallenges(db) {
                guard let challenger = try Store.userByID(db, challenge.fromID), let challenged = try Store.userByID(db, challenge.toID) else { continue }
                try publishChallenges(db, to: challenger, toast: "Your challenge to \(challenged.displayName) expired unanswered.")
                try publishChallenges(db, to: challenged, toast: nil)
            }
        }
        try store.purgeExpiredSessions()
        try store.purgeExpiredAPITokens()
        try store.purgeFinishedJobs(olderThan: Self.finishedJobRetention)
        try context.finish { db in
            _ = try enqueueJob(db, .maintenance, uniqueKey: JobKind.maintenance.rawValue, delay: Self.maintenanceInterval)
        }
    }

    private struct SleepPayload: Decodable { var seconds: Double }

    private func diagnosticSleep(_ context: JobContext) throws {
        let payload = try context.payload(SleepPayload.self)
        guard payload.seconds >= 0, payload.seconds <= 3600 else { throw JobFailure("seconds must be between 0 and 3600.", permanent: true) }
        Thread.sleep(forTimeInterval: payload.seconds)
        try context.finish(result: "slept \(payload.seconds) s in process \(getpid()) on attempt \(context.job.attempts)")
    }
}

/// The job kinds this build knows, for the admin commands.
public enum JobKinds {
    public static var names: [String] { JobKind.allCases.map(\.rawValue) }
}
