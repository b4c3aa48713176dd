import Foundation
import GRDB
import Store
import Testing

/// Who copies the WAL into the database file: the commit (SQLite's default) or a `WALCheckpointer`.
@Suite struct CheckpointTests {
    private func store(_ checkpoints: Store.Checkpoints) throws -> Store {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-tests-\(UUID().uuidString)")
        return try Store(path: directory.path + "/test.sqlite3", checkpoints: checkpoints)
    }

    private func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
    }

    /// About 1,500 pages in one commit: past SQLite's 1,000-page automatic checkpoint, far below the backstop.
    private func writeManyPages(_ store: Store) throws {
        try store.write { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS filler (bytes BLOB)")
            for _ in 0..<1_500 { try db.execute(sql: "INSERT INTO filler (bytes) VALUES (randomblob(3500))") }
        }
    }

    @Test func onCommitTheCommitThatFillsTheLogCopiesItIntoTheDatabaseFile() throws {
        let store = try store(.onCommit)
        let before = try fileSize(store.path)
        try writeManyPages(store)
        #expect(try fileSize(store.path) > before + 1_000 * 4096)
    }

    @Test func inBackgroundCommitsLeaveTheLogToTheCheckpointer() throws {
        let store = try store(.inBackground)
        let autocheckpoint = try store.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
        #expect(autocheckpoint == Store.backstopPages)
        let before = try fileSize(store.path)
        try writeManyPages(store)
        #expect(try fileSize(store.path) == before, "a commit checkpointed")

        let checkpointer = WALCheckpointer(store: store) { error in Issue.record("checkpoint failed: \(error)") }
        let pass = try checkpointer.checkpoint()
        #expect(pass.walFrames > 1_000)
        #expect(pass.checkpointed == pass.walFrames)
        #expect(try fileSize(store.path) > before + 1_000 * 4096)
        // Everything is still there, read through the database file.
        #expect(try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM filler") } == 1_500)
    }

    @Test func theCheckpointerThreadCopiesTheLogWithoutBeingAsked() async throws {
        let store = try store(.inBackground)
        let before = try fileSize(store.path)
        let checkpointer = WALCheckpointer(store: store, interval: 0.01) { error in Issue.record("checkpoint failed: \(error)") }
        checkpointer.start()
        defer { checkpointer.stop() }
        try writeManyPages(store)
        // Waits for the effect, not for a speed: up to 10 s on a loaded machine.
        for _ in 0..<1_000 where try fileSize(store.path) == before { try await Task.sleep(for: .milliseconds(10)) }
        #expect(try fileSize(store.path) > before + 1_000 * 4096)
    }

    @Test func aRepeatingFailureIsReportedFirstThenOnceAMinuteUntilASuccess() {
        var reports = FailureReports(every: 60)
        let start = Date(timeIntervalSince1970: 1_000_000)
        let reported = [0, 0.2, 59.9, 60, 61].map { reports.shouldReport(at: start + $0) }
        #expect(reported == [true, false, false, true, false])
        reports.succeeded()
        let afterSuccess = reports.shouldReport(at: start + 62)
        #expect(afterSuccess, "a new run of failures is reported at once")
    }
}
