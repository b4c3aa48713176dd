import Foundation
import GRDB
@testable import Store
import Testing

/// `Store.record` and `Store.records` read rows by position from the live statement (`LiveRow`).
@Suite struct LiveRowTests {
    @Test func columnsAreReadByPositionAndNullOnlyIntoOptionals() throws {
        let store = try temporaryStore()
        try store.unsafeRead { db in
            let row = try Store.record(db, "SELECT 7, 'seven', NULL, 2.5", []) { row -> (Int64, String, String?, Double) in
                (try row[0], try row[1], try row[2], try row[3])
            }
            #expect(row?.0 == 7 && row?.1 == "seven" && row?.2 == nil && row?.3 == 2.5)
            // NULL where a value is needed, or a column that is not there: an error, never a crash.
            #expect(throws: DatabaseError.self) { _ = try Store.record(db, "SELECT NULL", []) { row -> Int64 in try row[0] } }
            #expect(throws: DatabaseError.self) { _ = try Store.record(db, "SELECT 1", []) { row -> Int64 in try row[1] } }
            #expect(throws: DatabaseError.self) { _ = try Store.record(db, "SELECT 1", []) { row -> Int64 in try row[-1] } }
            // Arguments are checked against the statement's parameters.
            #expect(throws: DatabaseError.self) { _ = try Store.record(db, "SELECT ?", []) { row -> Int64 in try row[0] } }
            #expect(try Store.records(db, "SELECT value FROM json_each('[3,1,2]') ORDER BY value DESC", []) { row -> Int in try row[0] } == [3, 2, 1])
            #expect(try Store.record(db, "SELECT 1 WHERE 0", []) { row -> Int in try row[0] } == nil)
        }
    }

    @Test func aFirstRowReadEndsTheStatementSoItHoldsNoSnapshot() throws {
        let store = try temporaryStore()
        for name in ["ann", "ben"] {
            _ = try store.createUser(username: name, email: "\(name)@example.org", displayName: name, passwordHash: "h")
        }
        let own = try store.withOwnReader()
        // The first of two rows, read outside a transaction: a statement left on its row would keep its
        // read snapshot, so a later read on the connection would not see a newer commit.
        let first = try own.unsafeRead { db in
            try Store.record(db, "SELECT username FROM users ORDER BY username", []) { row -> String in try row[0] }
        }
        #expect(first == "ann")
        _ = try store.createUser(username: "cid", email: "cid@example.org", displayName: "cid", passwordHash: "h")
        let count = try own.unsafeRead { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") }
        #expect(count == 3)
        // The same statement (kept by the connection) runs again from its start.
        let again = try own.unsafeRead { db in
            try Store.record(db, "SELECT username FROM users ORDER BY username", []) { row -> String in try row[0] }
        }
        #expect(again == "ann")
    }
}
