import Foundation
import GRDB

extension Outbox {
/// One HTML partial waiting to be pushed to the browsers subscribed to its topic.
public struct Notification: Sendable, Equatable {
    public let id: Int64
    public let topic: String
    public let html: String
    /// When set, only this user's connections receive it.
    public let userID: Int64?
    /// When set, only this connection receives it.
    public let connectionID: String?
    /// Microseconds since 1970, taken in the publishing transaction: the start of the bridge's
    /// commit → frame clock, which measures fractions of a millisecond.
    public let createdMicros: Int64

    /// The columns `init(row:)` reads, in its order.
    static let columns = "id, topic, html, user_id, connection_id, created_us"

    /// A row of `SELECT \(columns)`, read by position from the live statement (the bridge reads every one).
    init(row: LiveRow) throws {
        id = try row[0]
        topic = try row[1]
        html = try row[2]
        userID = try row[3]
        connectionID = try row[4]
        createdMicros = try row[5]
    }
}
}

/// The notification table: handlers publish inside their own transaction, so a notification exists
/// exactly when the change it announces is committed; the bridge tails it by id.
public enum Outbox {
    /// Adds a notification in the caller's transaction and returns its id.
    @discardableResult
    public static func publish(_ db: Database, topic: String, html: String, toUser userID: Int64? = nil,
                               toConnection connectionID: String? = nil) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO notifications (topic, html, user_id, connection_id, created_us) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [topic, html, userID, connectionID, unixMicros()])
        return db.lastInsertedRowID
    }

    /// Publishes a panel that shows current state (a dashboard panel, a games-list row), rendered only
    /// when a page listens to `topic` now. Otherwise a reload marker goes out in its place: a page that
    /// subscribes meanwhile (its socket still connecting, or reconnecting to replay what it missed)
    /// reloads its live regions instead of missing the change, and nobody pays for rendering a panel no
    /// page shows (a move pushes both players' dashboards and the games list, mostly to nobody).
    public static func publishView(_ db: Database, topic: String, toUser userID: Int64? = nil,
                                   render: () throws -> String) throws {
        try publish(db, topic: topic, html: Store.isListened(db, topic: topic) ? render() : liveReload(), toUser: userID)
    }

    /// The element that makes a page reload its live regions (static/js/live.js); `gap` says which
    /// notification the page could not get back, when the bridge sends it to a reconnecting page.
    public static func liveReload(gap: Int64? = nil) -> String {
        "<div id=\"live-reload\" hx-swap-oob=\"true\"" + (gap.map { " data-gap=\"\($0)\"" } ?? "") + " hidden></div>"
    }

    /// The id of the newest notification ever committed (0 when none), from AUTOINCREMENT's counter,
    /// so it is right even after every row was trimmed.
    public static func latestID(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM sqlite_sequence WHERE name = 'notifications'")) ?? 0
    }
}

/// What a reconnecting client can get back.
public enum Replay: Sendable, Equatable {
    /// Everything it missed, in order (possibly nothing).
    case notifications([Outbox.Notification])
    /// Some of what it missed was already trimmed: it must reload its live regions.
    case gap
}

public extension Store {
    /// Notifications after `cursor`, oldest first, at most `limit`. One SELECT is consistent by itself:
    /// no transaction around it (the bridge runs this on every wake-up; BEGIN and COMMIT cost more).
    func notifications(after cursor: Int64, limit: Int = 1000) throws -> [Outbox.Notification] {
        try unsafeRead { db in
            try Self.records(db, "SELECT \(Outbox.Notification.columns) FROM notifications WHERE id > ? ORDER BY id LIMIT ?",
                             [cursor, limit], Outbox.Notification.init)
        }
    }

    func latestNotificationID() throws -> Int64 {
        try unsafeRead { db in try Outbox.latestID(db) }
    }

    /// What a connection subscribed to `topics` missed after `cursor`, up to `upTo` (where the live tail
    /// takes over), or `.gap` when part of it was trimmed. Notifications addressed to one user are
    /// replayed only to that user; those addressed to one connection only ever went live.
    ///
    /// The id range is walked through the primary key and filtered by topic: an index by topic cost every
    /// publish pages of WAL. So a range wider than `scanLimit` ids (every topic's) is answered as a gap —
    /// the page reloads its live regions — rather than read; a page that just rendered misses a few ids.
    func replay(after cursor: Int64, upTo: Int64, topics: [String], userID: Int64?, limit: Int = 10_000,
                scanLimit: Int64 = 50_000) throws -> Replay {
        try read { db in
            let trimmedThrough = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM outbox_state WHERE key = 'trimmed_through'")) ?? 0
            if cursor < trimmedThrough { return .gap }
            guard !topics.isEmpty, upTo > cursor else { return .notifications([]) }
            if upTo - cursor > scanLimit { return .gap }
            let placeholders = Array(repeating: "?", count: topics.count).joined(separator: ",")
            var arguments: [(any DatabaseValueConvertible)?] = [cursor, upTo]
            arguments += topics
            arguments += [userID, limit + 1]
            let missed = try Self.records(db, """
                SELECT \(Outbox.Notification.columns) FROM notifications WHERE id > ? AND id <= ? AND topic IN (\(placeholders))
                AND connection_id IS NULL AND (user_id IS NULL OR user_id = ?) ORDER BY id LIMIT ?
                """, StatementArguments(arguments), Outbox.Notification.init)
            // More than a replay can carry is treated like a gap: reloading is cheaper than a flood.
            if missed.count > limit { return .gap }
            return .notifications(missed)
        }
    }

    /// Deletes notifications older than `age` milliseconds in batches of `batch` rows, one short
    /// transaction each, so writers never wait long. Returns how many were deleted.
    ///
    /// Notifications are created in id order, so the old ones are the ids below the first young one; no
    /// index on `created_us` is kept for this (it cost every publish a page of WAL). Rows a few
    /// milliseconds out of order, or stamped by a clock that was later set back, wait for a later pass.
    @discardableResult
    func trimNotifications(olderThan age: Int64, batch: Int = 500) throws -> Int {
        let cutoff = unixMicros() - age * 1000
        // Scans only the old rows: the first row, in id order, that is young enough ends the scan.
        let firstYoung = try read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM notifications WHERE created_us >= ? ORDER BY id LIMIT 1", arguments: [cutoff])
        } ?? Int64.max
        var total = 0
        while true {
            let deleted = try write { db -> Int in
                guard let last = try Int64.fetchOne(db.cachedStatement(sql: """
                    SELECT MAX(id) FROM (SELECT id FROM notifications WHERE id < ? ORDER BY id LIMIT ?)
                    """), arguments: [firstYoung, batch]) else { return 0 }
                try db.execute(sql: "DELETE FROM notifications WHERE id <= ?", arguments: [last])
                let count = db.changesCount
                try db.execute(sql: "UPDATE outbox_state SET value = MAX(value, ?) WHERE key = 'trimmed_through'", arguments: [last])
                return count
            }
            total += deleted
            if deleted < batch { return total }
        }
    }
}

/// Milliseconds since 1970.
public func unixMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

/// Microseconds since 1970 (`gettimeofday`'s resolution; a Double's 52 bits hold them until 2255).
public func unixMicros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }
