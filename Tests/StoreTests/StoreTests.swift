import Foundation
import GRDB
import Store
import Testing

/// A real SQLite file in a fresh temporary directory for each test.
func temporaryStore() throws -> Store {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-tests-\(UUID().uuidString)")
    return try Store(path: directory.path + "/test.sqlite3")
}

@Suite struct StoreTests {
    @Test func migrationsApplyOnceAndTheDatabaseIsWAL() throws {
        let store = try temporaryStore()
        #expect(try store.isMigrated())
        #expect(try store.appliedMigrations() == ["001_accounts", "002_games", "003_outbox", "004_moves", "005_friends_challenges", "006_jobs", "007_challenge_expiry", "008_school", "009_api_tokens", "010_notifications_trimmed_by_id", "011_notification_times_in_microseconds", "012_notifications_replayed_by_id"])
        try store.migrate()
        let mode = try store.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func oneConnectionCreatesAWALDatabaseAndSharesItWithAPool() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-tests-\(UUID().uuidString)").path + "/single.sqlite3"
        // A CGI install whose first request creates the database.
        let single = try Store(path: path, connections: .single)
        #expect(try single.isMigrated())
        #expect(try single.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try single.mayExitWithoutClosing() == false, "creating the tables changed the file")
        #expect(try Store(path: path, connections: .single).mayExitWithoutClosing(maxLogBytes: .max), "opening an up-to-date file changes nothing")
        let pool = try Store(path: path)
        guard case .success(let dave) = try pool.createUser(username: "dave", email: "d@example.org", displayName: "D", passwordHash: "h")
        else { Issue.record("user not created"); return }
        #expect(try single.user(username: "dave")?.id == dave.id, "the single connection reads what the pool committed")
        guard case .success = try single.createUser(username: "erin", email: "e@example.org", displayName: "E", passwordHash: "h")
        else { Issue.record("user not created through the single connection"); return }
        #expect(try pool.usernameExists("erin"))
        #expect(try single.mayExitWithoutClosing() == false, "a process that wrote closes the database")
    }

    @Test func aThreadsOwnReaderReadsEveryCommitAndWritesNothing() throws {
        let store = try temporaryStore()
        let own = try store.withOwnReader()
        #expect(try own.read { db in db.description } == "own reader" && own.unsafeRead { db in db.description } == "own reader")
        #expect(try store.read { db in db.description } != "own reader", "a store without one reads from its pool")
        #expect(try own.usernameExists("fay") == false)
        // Writes go to the shared writer; the next read on the own connection sees them.
        guard case .success = try own.createUser(username: "fay", email: "f@example.org", displayName: "F", passwordHash: "h")
        else { Issue.record("user not created"); return }
        #expect(try own.usernameExists("fay") && own.user(username: "fay")?.displayName == "F")
        #expect(throws: DatabaseError.self) { try own.unsafeRead { db in try db.execute(sql: "DELETE FROM users") } }
        #expect(try store.usernameExists("fay"))
    }

    @Test func anOwnReadersReadIsOneSnapshotAndEndsEvenWhenItFails() throws {
        let store = try temporaryStore()
        let own = try store.withOwnReader()
        struct Stop: Error {}
        // A commit made between two statements of one read is not seen by the second: one snapshot.
        let (before, during) = try own.read { db -> (Int, Int) in
            let before = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? -1
            _ = try store.createUser(username: "gus", email: "g@example.org", displayName: "G", passwordHash: "h")
            return (before, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? -1)
        }
        #expect(before == during)
        #expect(try own.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") } == before + 1)
        // A read that throws, or whose statement fails, ends its transaction: the next read is a new snapshot.
        #expect(throws: Stop.self) { try own.read { db in _ = try Int.fetchOne(db, sql: "SELECT 1"); throw Stop() } }
        #expect(throws: DatabaseError.self) { try own.read { db in try db.execute(sql: "SELECT * FROM no_such_table") } }
        _ = try store.createUser(username: "hal", email: "h@example.org", displayName: "H", passwordHash: "h")
        #expect(try own.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") } == before + 2)
        #expect(try own.unsafeRead { db in db.isInsideTransaction } == false)
    }

    @Test func aReadLeftOpenIsContinuedByTheNextReadAndEndedByAWriteOrAnUnsafeRead() throws {
        let store = try temporaryStore()
        let own = try store.withOwnReader()
        func count(_ db: Database) throws -> Int { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? -1 }
        func addUser(_ name: String, through writer: Store) throws {
            _ = try writer.createUser(username: name, email: "\(name)@example.org", displayName: name, passwordHash: "h")
        }
        // The next read continues the snapshot: a commit made in between is not seen.
        let first = try own.readLeavingOpen(count)
        try addUser("ann", through: store)
        #expect(try own.read(count) == first)
        // ...and ends it: the read after sees the commit.
        #expect(try own.read(count) == first + 1)
        // A write through the store ends an open read first, so the next read sees its own write.
        _ = try own.readLeavingOpen(count)
        try addUser("ben", through: own)
        #expect(try own.read(count) == first + 2)
        // So do an unsafeRead (it reads the latest commit) and endOpenRead (the end of a request).
        _ = try own.readLeavingOpen(count)
        try addUser("cid", through: store)
        #expect(try own.unsafeRead(count) == first + 3)
        _ = try own.readLeavingOpen(count)
        try addUser("dan", through: store)
        own.endOpenRead()
        #expect(try own.unsafeRead { db in db.isInsideTransaction } == false)
        #expect(try own.read(count) == first + 4)
        // A block that throws leaves nothing open.
        struct Stop: Error {}
        #expect(throws: Stop.self) { try own.readLeavingOpen { _ in throw Stop() } }
        #expect(try own.unsafeRead { db in db.isInsideTransaction } == false)
        // Without an own reader it is a plain read.
        #expect(try store.readLeavingOpen(count) == first + 4)
    }

    @Test func aMemoizedReadIsKeptUntilAnyConnectionCommits() throws {
        let store = try temporaryStore()
        let own = try store.withOwnReader()
        struct Count: Hashable { let table: String }
        struct Other: Hashable { let table: String }
        var runs = 0
        func count(_ db: Database) throws -> Int { runs += 1; return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? -1 }
        func addUser(_ name: String, through writer: Store) throws {
            _ = try writer.createUser(username: name, email: "\(name)@example.org", displayName: name, passwordHash: "h")
        }
        let first = try own.read(memoizedAs: Count(table: "users"), count)
        #expect(try own.read(memoizedAs: Count(table: "users"), count) == first && runs == 1, "nothing changed: kept")
        // A key of another type is another read, even with the same fields, and may keep another type.
        #expect(try own.read(memoizedAs: Other(table: "users")) { _ in "other" } == "other")
        #expect(try own.read(memoizedAs: Count(table: "users"), count) == first && runs == 1)
        // A commit through this process's writer, through the own store's write, or through another pool
        // on the same file (another process) is seen by the next read.
        try addUser("ann", through: store)
        #expect(try own.read(memoizedAs: Count(table: "users"), count) == first + 1 && runs == 2)
        try addUser("ben", through: own)
        #expect(try own.read(memoizedAs: Count(table: "users"), count) == first + 2 && runs == 3)
        try addUser("cid", through: try Store(path: store.path))
        #expect(try own.read(memoizedAs: Count(table: "users"), count) == first + 3 && runs == 4)
        #expect(try own.read(memoizedAs: Count(table: "users"), count) == first + 3 && runs == 4)
        // Inside a read left open, the kept value is the open snapshot's, as an unkept read's would be.
        _ = try own.readLeavingOpen(memoizedAs: Count(table: "users"), count)
        try addUser("dan", through: store)
        #expect(try own.read(memoizedAs: Count(table: "users"), count) == first + 3)
        #expect(try own.read(memoizedAs: Count(table: "users"), count) == first + 4 && runs == 5)
        // No value is a value kept like any other; a read that throws keeps nothing.
        var noneRuns = 0
        for _ in 0..<2 { #expect(try own.read(memoizedAs: Count(table: "none")) { _ -> Int? in noneRuns += 1; return nil } == nil) }
        #expect(noneRuns == 1)
        struct Stop: Error {}
        #expect(throws: Stop.self) { try own.read(memoizedAs: Count(table: "stop")) { _ -> Int in throw Stop() } }
        #expect(try own.read(memoizedAs: Count(table: "stop")) { _ in 7 } == 7)
        // Without an own reader nothing is kept.
        _ = try store.read(memoizedAs: Count(table: "users"), count)
        _ = try store.read(memoizedAs: Count(table: "users"), count)
        #expect(runs == 7)
    }

    @Test func aWriteCommitsOrRollsBackWholeAndRunsItsAfterCommitCallbacks() throws {
        let store = try temporaryStore()
        func count(_ db: Database) throws -> Int { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? -1 }
        let before = try store.read(count)
        /// Counts callbacks, which run on the writer's queue while `write` waits for it.
        final class Count: @unchecked Sendable { var value = 0 }
        let committed = Count(), rolledBack = Count()
        try store.write { db in
            db.afterNextTransaction { _ in committed.value += 1 }
            try db.execute(sql: "INSERT INTO users (username, email, display_name, password_hash, created_at) VALUES ('ivy', 'i@example.org', 'Ivy', 'h', 0)")
        }
        #expect(try committed.value == 1 && store.read(count) == before + 1)
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try store.write { db in
                db.afterNextTransaction(onCommit: { _ in committed.value += 1 }, onRollback: { _ in rolledBack.value += 1 })
                try db.execute(sql: "INSERT INTO users (username, email, display_name, password_hash, created_at) VALUES ('jan', 'j@example.org', 'Jan', 'h', 0)")
                throw Stop()
            }
        }
        #expect(try committed.value == 1 && rolledBack.value == 1 && store.read(count) == before + 1)
        // A statement that fails inside the block rolls the whole transaction back, and the writer is usable.
        #expect(throws: DatabaseError.self) {
            try store.write { db in
                try db.execute(sql: "INSERT INTO users (username, email, display_name, password_hash, created_at) VALUES ('kim', 'k@example.org', 'Kim', 'h', 0)")
                try db.execute(sql: "INSERT INTO no_such_table VALUES (1)")
            }
        }
        #expect(try store.read(count) == before + 1)
        #expect(try store.write { db in db.isInsideTransaction })
    }

    @Test func aKeptSessionStillEndsWhenItExpires() throws {
        let store = try temporaryStore()
        let own = try store.withOwnReader()
        guard case .success(let user) = try store.createUser(username: "eve", email: "e@example.org", displayName: "Eve", passwordHash: "h")
        else { Issue.record("no user"); return }
        let idHash: [UInt8] = Array(repeating: 9, count: 32)
        try store.createSession(idHash: idHash, userID: user.id, lifetime: 600, userAgent: "test", ip: "127.0.0.1")
        let now = unixNow()
        /// As a request reads its session: the read it leaves open ends with the request.
        func session(_ idHash: [UInt8], at time: Int64) throws -> User? {
            defer { own.endOpenRead() }
            return try own.sessionUser(idHash: idHash, lifetime: 600, now: time)
        }
        #expect(try session(idHash, at: now)?.id == user.id)
        #expect(try session(idHash, at: now + 601) == nil, "the kept row is past its expiry")
        #expect(try session(Array(repeating: 8, count: 32), at: now) == nil)
        #expect(try session(idHash, at: now)?.id == user.id)
        // Signing out (a commit) ends it at once.
        try store.deleteSession(idHash: idHash)
        #expect(try session(idHash, at: now) == nil)
    }

    @Test func usersAreUniqueByUsernameAndEmailIgnoringCase() throws {
        let store = try temporaryStore()
        guard case .success(let alice) = try store.createUser(username: "alice", email: "a@example.org", displayName: "Alice", passwordHash: "h")
        else { Issue.record("first user not created"); return }
        #expect(alice.username == "alice")
        #expect(try store.createUser(username: "ALICE", email: "b@example.org", displayName: "A", passwordHash: "h") == .failure(.usernameTaken))
        #expect(try store.createUser(username: "bob", email: "A@EXAMPLE.ORG", displayName: "B", passwordHash: "h") == .failure(.emailTaken))
        #expect(try store.usernameExists("Alice"))
        #expect(try store.emailExists("a@example.org"))
        #expect(try store.user(username: "aLiCe")?.id == alice.id)
        #expect(try store.user(id: alice.id)?.displayName == "Alice")
    }

    @Test func sessionsResolveUntilDeletedOrExpired() throws {
        let store = try temporaryStore()
        guard case .success(let user) = try store.createUser(username: "carol", email: "c@example.org", displayName: "C", passwordHash: "h")
        else { return }
        let live: [UInt8] = Array(repeating: 1, count: 32)
        let expired: [UInt8] = Array(repeating: 2, count: 32)
        try store.createSession(idHash: live, userID: user.id, lifetime: 3600, userAgent: "test", ip: "127.0.0.1")
        try store.createSession(idHash: expired, userID: user.id, lifetime: -1, userAgent: "test", ip: "127.0.0.1")
        #expect(try store.sessionUser(idHash: live, lifetime: 3600)?.id == user.id)
        #expect(try store.sessionUser(idHash: expired, lifetime: 3600) == nil)
        #expect(try store.sessionUser(idHash: Array(repeating: 3, count: 32), lifetime: 3600) == nil)
        try store.deleteSession(idHash: live)
        #expect(try store.sessionUser(idHash: live, lifetime: 3600) == nil)
    }

    @Test func loginFailuresAreCountedPerScopeAndCleared() throws {
        let store = try temporaryStore()
        try store.recordLoginFailure(scopes: ["account:dave", "client:1.2.3.4"])
        try store.recordLoginFailure(scopes: ["account:dave", "client:1.2.3.4"])
        #expect(try store.recentLoginFailures(scope: "account:dave", window: 900) == 2)
        #expect(try store.recentLoginFailures(scope: "account:erin", window: 900) == 0)
        try store.clearLoginFailures(scope: "account:dave")
        #expect(try store.recentLoginFailures(scope: "account:dave", window: 900) == 0)
        #expect(try store.recentLoginFailures(scope: "client:1.2.3.4", window: 900) == 2)
    }

    @Test func seedDemoPairsUsersIntoGamesAndReplacesEarlierSeeds() throws {
        let store = try temporaryStore()
        let first = try store.seedDemo(users: 6, games: 3, password: "pw", passwordHash: "h")
        #expect(first.users.map(\.username) == ["player1", "player2", "player3", "player4", "player5", "player6"])
        #expect(first.games.map(\.black) == ["player1", "player3", "player5"])
        #expect(first.games.map(\.white) == ["player2", "player4", "player6"])
        let second = try store.seedDemo(users: 2, games: 1, password: "pw2", passwordHash: "h")
        #expect(second.games.count == 1)
        let counts = try store.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users")!, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM games")!)
        }
        #expect(counts.0 == 2 && counts.1 == 1)
    }

    @Test func twoStoresOnOneFileSeeEachOthersWrites() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-tests-\(UUID().uuidString)")
        let a = try Store(path: directory.path + "/shared.sqlite3")
        let b = try Store(path: directory.path + "/shared.sqlite3")
        _ = try a.createUser(username: "frank", email: "f@example.org", displayName: "F", passwordHash: "h")
        #expect(try b.usernameExists("frank"))
    }
}
