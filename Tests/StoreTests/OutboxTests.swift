import Foundation
import GRDB
import Store
import Testing

@Suite struct OutboxTests {
    @Test func publishedRowsAreReadInIdOrderAfterACursor() throws {
        let store = try temporaryStore()
        #expect(try store.latestNotificationID() == 0)
        let ids = try store.publishing { db in
            [try Outbox.publish(db, topic: "game:1", html: "<p id=a>1</p>"),
             try Outbox.publish(db, topic: "game:2", html: "<p id=b>2</p>", toUser: 7),
             try Outbox.publish(db, topic: "game:1", html: "<p id=c>3</p>", toConnection: "conn")]
        }
        #expect(ids == [1, 2, 3])
        let after1 = try store.notifications(after: 1)
        #expect(after1.map(\.id) == [2, 3])
        #expect(after1[0].userID == 7 && after1[0].topic == "game:2")
        #expect(after1[1].connectionID == "conn")
        #expect(try store.latestNotificationID() == 3)
    }

    @Test func aNotificationIsStampedInMicroseconds() throws {
        let store = try temporaryStore()
        let before = unixMicros()
        try store.publishing { db in try Outbox.publish(db, topic: "t", html: "x") }
        let after = unixMicros()
        let stamp = try #require(try store.notifications(after: 0).first).createdMicros
        #expect(stamp >= before && stamp <= after)
    }

    /// Migration 011: rows stamped in milliseconds by an older binary keep their time in microseconds.
    @Test func millisecondStampsAreConvertedByTheMigration() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)/db.sqlite3").path
        try Store(path: path).write { db in
            // The table as 010 left it, with a row from before 011.
            try db.execute(sql: """
                ALTER TABLE notifications RENAME COLUMN created_us TO created_at;
                DELETE FROM grdb_migrations WHERE identifier = '011_notification_times_in_microseconds';
                INSERT INTO notifications (topic, html, created_at) VALUES ('t', 'x', 1765000000123);
                """)
        }
        let store = try Store(path: path)
        #expect(try store.notifications(after: 0).map(\.createdMicros) == [1_765_000_000_123_000])
    }

    @Test func aRolledBackChangePublishesNothing() throws {
        let store = try temporaryStore()
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try store.publishing { db in
                try Outbox.publish(db, topic: "t", html: "x")
                throw Abort()
            }
        }
        #expect(try store.notifications(after: 0).isEmpty)
    }

    @Test func replayReturnsOnlyTheTopicsUpToTheLiveCursor() throws {
        let store = try temporaryStore()
        try store.publishing { db in
            for index in 1...6 { try Outbox.publish(db, topic: index % 2 == 0 ? "even" : "odd", html: "\(index)") }
        }
        #expect(try store.replay(after: 1, upTo: 5, topics: ["odd"], userID: nil) == .notifications(try store.notifications(after: 0).filter { [3, 5].contains($0.id) }))
        #expect(try store.replay(after: 6, upTo: 6, topics: ["odd"], userID: nil) == .notifications([]))
        #expect(try store.replay(after: 0, upTo: 6, topics: ["odd", "even"], userID: nil, limit: 3) == .gap, "more than the limit reloads instead")
        // The range is walked whatever the topics: one wider than the scan limit reloads instead.
        #expect(try store.replay(after: 0, upTo: 6, topics: ["odd"], userID: nil, scanLimit: 5) == .gap)
        #expect(try store.replay(after: 1, upTo: 6, topics: ["odd"], userID: nil, scanLimit: 5).isNotGap)
        let plan = try store.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT id FROM notifications WHERE id > 1 AND id <= 6 AND topic IN ('odd')")
                .map { $0["detail"] as String? ?? "" }
        }
        #expect(plan.joined().contains("INTEGER PRIMARY KEY"), "the replay walks the id range: \(plan)")
    }

    @Test func replayKeepsPrivateNotificationsPrivate() throws {
        let store = try temporaryStore()
        try store.publishing { db in
            try Outbox.publish(db, topic: "user", html: "everyone")
            try Outbox.publish(db, topic: "user", html: "for 1", toUser: 1)
            try Outbox.publish(db, topic: "user", html: "for 2", toUser: 2)
            try Outbox.publish(db, topic: "user", html: "for a connection", toConnection: "c")
        }
        guard case .notifications(let forOne) = try store.replay(after: 0, upTo: 4, topics: ["user"], userID: 1) else { Issue.record("gap"); return }
        #expect(forOne.map(\.html) == ["everyone", "for 1"])
        guard case .notifications(let anonymous) = try store.replay(after: 0, upTo: 4, topics: ["user"], userID: nil) else { return }
        #expect(anonymous.map(\.html) == ["everyone"])
    }

    @Test func trimmingOldRowsMakesOlderCursorsAGapAndKeepsIdsGrowing() throws {
        let store = try temporaryStore()
        try store.publishing { db in for _ in 1...5 { try Outbox.publish(db, topic: "t", html: "x") } }
        try store.write { db in try db.execute(sql: "UPDATE notifications SET created_us = 0 WHERE id <= 3") }
        #expect(try store.trimNotifications(olderThan: 60_000, batch: 2) == 3)
        #expect(try store.notifications(after: 0).map(\.id) == [4, 5])
        #expect(try store.replay(after: 2, upTo: 5, topics: ["t"], userID: nil) == .gap)
        #expect(try store.replay(after: 3, upTo: 5, topics: ["t"], userID: nil).isNotGap)
        try store.write { db in try db.execute(sql: "DELETE FROM notifications") }
        let next = try store.publishing { db in try Outbox.publish(db, topic: "t", html: "y") }
        #expect(next == 6, "AUTOINCREMENT never reuses an id")
    }

    @Test func trimmingStopsAtTheFirstYoungRowAndTakesEverythingWhenAllAreOld() throws {
        let store = try temporaryStore()
        try store.publishing { db in for _ in 1...6 { try Outbox.publish(db, topic: "t", html: "x") } }
        // Row 4 is young; row 5 is old but after it in id order (a clock set back): it waits.
        try store.write { db in try db.execute(sql: "UPDATE notifications SET created_us = 0 WHERE id IN (1, 2, 3, 5)") }
        #expect(try store.trimNotifications(olderThan: 60_000, batch: 2) == 3)
        #expect(try store.notifications(after: 0).map(\.id) == [4, 5, 6])
        try store.write { db in try db.execute(sql: "UPDATE notifications SET created_us = 0") }
        #expect(try store.trimNotifications(olderThan: 60_000, batch: 2) == 3)
        #expect(try store.notifications(after: 0).isEmpty)
        #expect(try store.trimNotifications(olderThan: 60_000) == 0)
    }

    @Test func presenceTracksConnectionsPerTopic() throws {
        let store = try temporaryStore()
        guard case .success(let alice) = try store.createUser(username: "alice", email: "a@x.org", displayName: "Alice", passwordHash: "h") else { return }
        let changed = try store.write { db in
            [try Store.applyPresence(db, event: .join(connection: "c1", userID: alice.id, topics: ["demo", "game:1"])),
             try Store.applyPresence(db, event: .join(connection: "c2", userID: alice.id, topics: ["demo"])),
             try Store.applyPresence(db, event: .join(connection: "c3", userID: nil, topics: ["demo"]))]
        }
        #expect(changed == [["demo", "game:1"], [], []], "a second tab and an anonymous page change no list")
        #expect(try store.presentUsers(topic: "demo").map(\.username) == ["alice"], "one entry per user, anonymous not listed")
        let left = try store.write { db in try Store.applyPresence(db, event: .leave(connection: "c1")) }
        #expect(left == ["game:1"], "alice is still on demo in another tab")
        #expect(try store.presentUsers(topic: "game:1").isEmpty)
        #expect(try store.presentUsers(topic: "demo").count == 1, "still present in another tab")
        _ = try store.write { db in try Store.applyPresence(db, event: .reset) }
        #expect(try store.presentUsers(topic: "demo").isEmpty)
    }

    @Test func presentUsersAreListedOnceByNameIgnoringASCIICase() throws {
        let store = try temporaryStore()
        var ids: [String: Int64] = [:]
        for (username, name) in [("u1", "bob"), ("u2", "Alice"), ("u3", "Émile"), ("u4", "carol"), ("u5", "BOB"), ("u6", "Zed")] {
            guard case .success(let user) = try store.createUser(username: username, email: "\(username)@x.org", displayName: name, passwordHash: "h")
            else { Issue.record("\(username) not created"); return }
            ids[username] = user.id
        }
        try store.write { db in
            for (index, username) in ["u1", "u3", "u2", "u5", "u4", "u6", "u1", "u2"].enumerated() {
                _ = try Store.applyPresence(db, event: .join(connection: "c\(index)", userID: ids[username], topics: ["game:9"]))
            }
        }
        // As SQLite's NOCASE orders: ASCII letters folded, other bytes as they are (É after every ASCII
        // letter); equal names by id.
        #expect(try store.presentUsers(topic: "game:9").map(\.username) == ["u2", "u1", "u5", "u4", "u6", "u3"])
        let sqliteOrder = try store.read { db in
            try String.fetchAll(db, sql: "SELECT username FROM users ORDER BY display_name COLLATE NOCASE, id")
        }
        #expect(sqliteOrder == ["u2", "u1", "u5", "u4", "u6", "u3"])
    }
}

extension Replay {
    var isNotGap: Bool { if case .gap = self { false } else { true } }
}
