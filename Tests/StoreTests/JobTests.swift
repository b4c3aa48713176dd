import Foundation
import GRDB
import Store
import Testing

@Suite struct JobTests {
    @Test func aClaimedJobIsLeasedToOneOwnerAndCompletedInTheCallersTransaction() throws {
        let store = try temporaryStore()
        let id = try store.write { db in try Jobs.enqueue(db, kind: "k", payload: #"{"a":1}"#) }
        let job = try #require(try store.claimJob(owner: "w1", lease: 60_000))
        #expect(job.id == id && job.state == .running && job.attempts == 1 && job.leaseOwner == "w1")
        #expect(try store.claimJob(owner: "w2", lease: 60_000) == nil)
        // Another owner cannot complete it, and its transaction (with what it published) rolls back.
        #expect(throws: JobLeaseLost.self) {
            try store.publishing { db in
                try Outbox.publish(db, topic: "t", html: "late")
                try Jobs.complete(db, id: id, owner: "w2", result: "no")
            }
        }
        #expect(try store.notifications(after: 0).isEmpty)
        try store.publishing { db in try Jobs.complete(db, id: id, owner: "w1", result: "ok") }
        let done = try #require(try store.read { db in try Jobs.job(db, id: id) })
        #expect(done.state == .done && done.result == "ok" && done.leaseOwner == nil)
    }

    @Test func aJobWhoseLeaseRanOutIsTakenOverAndTheOldOwnerCannotFinishIt() throws {
        let store = try temporaryStore()
        let id = try store.write { db in try Jobs.enqueue(db, kind: "k") }
        _ = try #require(try store.claimJob(owner: "dead", lease: 1))
        Thread.sleep(forTimeInterval: 0.01)
        let again = try #require(try store.claimJob(owner: "alive", lease: 60_000))
        #expect(again.id == id && again.attempts == 2 && again.leaseOwner == "alive")
        #expect(try !store.extendLease(jobID: id, owner: "dead", lease: 60_000))
        #expect(try store.extendLease(jobID: id, owner: "alive", lease: 60_000))
        #expect(throws: JobLeaseLost.self) { try store.write { db in try Jobs.complete(db, id: id, owner: "dead") } }
    }

    @Test func aJobWhoseWorkerKeepsDyingIsGivenUpAfterItsAttempts() throws {
        let store = try temporaryStore()
        let id = try store.write { db in try Jobs.enqueue(db, kind: "k", maxAttempts: 2) }
        for _ in 1...2 {
            _ = try #require(try store.claimJob(owner: "dies", lease: 1))
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(try store.claimJob(owner: "next", lease: 60_000) == nil)
        let failed = try #require(try store.read { db in try Jobs.job(db, id: id) })
        #expect(failed.state == .failed && failed.error?.contains("stopped") == true)
    }

    @Test func aFailedAttemptIsRetriedAfterABackoffUntilTheLastAttempt() throws {
        let store = try temporaryStore()
        let id = try store.write { db in try Jobs.enqueue(db, kind: "k", maxAttempts: 2) }
        _ = try store.claimJob(owner: "w", lease: 60_000)
        #expect(try store.failJob(id: id, owner: "w", error: "busy") == .queued)
        let queued = try #require(try store.read { db in try Jobs.job(db, id: id) })
        #expect(queued.runAfter > unixMillis() + 500 && queued.error == "busy")
        // Not due yet, so nothing to claim; the wait is reported for the runner's sleep.
        #expect(try store.claimJob(owner: "w", lease: 60_000) == nil)
        #expect(try (store.millisecondsUntilNextJob() ?? 0) > 500)
        try store.write { db in try db.execute(sql: "UPDATE jobs SET run_after = 0 WHERE id = ?", arguments: [id]) }
        _ = try #require(try store.claimJob(owner: "w", lease: 60_000))
        #expect(try store.failJob(id: id, owner: "w", error: "still busy") == .failed)
        #expect(try store.read { db in try Jobs.job(db, id: id)?.error } == "still busy")
    }

    @Test func aPermanentFailureIsNotRetriedAndAStrangerCannotFailAJob() throws {
        let store = try temporaryStore()
        let id = try store.write { db in try Jobs.enqueue(db, kind: "k") }
        _ = try store.claimJob(owner: "w", lease: 60_000)
        #expect(try store.failJob(id: id, owner: "other", error: "x") == nil)
        #expect(try store.failJob(id: id, owner: "w", error: "bad payload", permanent: true) == .failed)
    }

    @Test func aUniqueKeyHoldsOneActiveJobAndIsFreeAgainWhenItFinishes() throws {
        let store = try temporaryStore()
        let first = try store.write { db in try Jobs.enqueue(db, kind: "k", uniqueKey: "lesson:1") }
        let same = try store.write { db in try Jobs.enqueue(db, kind: "k", uniqueKey: "lesson:1") }
        #expect(first == same)
        _ = try store.claimJob(owner: "w", lease: 60_000)
        try store.write { db in try Jobs.complete(db, id: first, owner: "w") }
        let next = try store.write { db in try Jobs.enqueue(db, kind: "k", uniqueKey: "lesson:1") }
        #expect(next != first)
        #expect(try store.read { db in try Jobs.latestJob(db, uniqueKey: "lesson:1")?.id } == next)
    }

    @Test func claimsFollowDueTimeAndKindFilters() throws {
        let store = try temporaryStore()
        let (a, b, later) = try store.write { db in
            (try Jobs.enqueue(db, kind: "a"), try Jobs.enqueue(db, kind: "b"), try Jobs.enqueue(db, kind: "a", delay: 60_000))
        }
        #expect(try store.claimJob(owner: "w", lease: 60_000, kinds: ["b"])?.id == b)
        #expect(try store.claimJob(owner: "w", lease: 60_000)?.id == a)
        #expect(try store.claimJob(owner: "w", lease: 60_000) == nil)
        #expect(try store.claimJob(owner: "w", lease: 60_000, kinds: []) == nil)
        _ = later
    }

    @Test func backoffDoublesWithJitterAndIsCapped() {
        for attempts in 1...6 {
            let plain = Int64(2_000) << Int64(attempts - 1)
            let wait = Jobs.backoff(afterAttempts: attempts)
            #expect(wait >= plain * 4 / 5 && wait <= plain * 6 / 5)
        }
        #expect(Jobs.backoff(afterAttempts: 40) <= 360_000)
    }

    @Test func finishedJobsArePurgedByAgeOnly() throws {
        let store = try temporaryStore()
        let (old, fresh) = try store.write { db in (try Jobs.enqueue(db, kind: "k"), try Jobs.enqueue(db, kind: "k")) }
        for _ in 0..<2 {
            let job = try #require(try store.claimJob(owner: "w", lease: 60_000))
            try store.write { db in try Jobs.complete(db, id: job.id, owner: "w") }
        }
        try store.write { db in try db.execute(sql: "UPDATE jobs SET updated_at = 0 WHERE id = ?", arguments: [old]) }
        #expect(try store.purgeFinishedJobs(olderThan: 60_000) == 1)
        #expect(try store.read { db in try Jobs.recent(db).map(\.id) } == [fresh])
    }
}
