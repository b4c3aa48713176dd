import GRDB
import Platform

/// Who is connected to which topic, as the bridge reports it. Rows are per connection, so a user
/// with two tabs stays present until both close.
public extension Store {
    /// Applies a join, leave or reset inside `db`'s transaction and returns the topics whose list of
    /// present users changed (a second tab of someone already there changes nothing).
    static func applyPresence(_ db: Database, event: PresenceEvent) throws -> [String] {
        switch event {
        case .join(let connection, let userID, let topics):
            var changed: [String] = []
            for topic in topics {
                let wasPresent = try isPresent(db, userID: userID, topic: topic)
                try db.execute(sql: "INSERT OR REPLACE INTO presence (connection_id, topic, user_id, joined_at) VALUES (?, ?, ?, ?)",
                               arguments: [connection, topic, userID, unixNow()])
                if !wasPresent, userID != nil { changed.append(topic) }
            }
            return changed
        case .leave(let connection):
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT topic, user_id FROM presence WHERE connection_id = ?"), arguments: [connection])
            try db.execute(sql: "DELETE FROM presence WHERE connection_id = ?", arguments: [connection])
            return try rows.compactMap { row -> String? in
                let topic: String = row["topic"]
                let userID: Int64? = row["user_id"]
                return try userID != nil && !isPresent(db, userID: userID, topic: topic) ? topic : nil
            }
        case .reset:
            let topics = try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT topic FROM presence"))
            try db.execute(sql: "DELETE FROM presence")
            return topics
        }
    }

    private static func isPresent(_ db: Database, userID: Int64?, topic: String) throws -> Bool {
        guard let userID else { return false }
        return try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM presence WHERE topic = ? AND user_id = ?)"), arguments: [topic, userID]) ?? false
    }

    /// Whether any page's socket (signed in or not) is subscribed to `topic` now.
    static func isListened(_ db: Database, topic: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM presence WHERE topic = ?)"), arguments: [topic]) ?? false
    }

    /// The signed-in users present on `topic`, each once (a user may have several tabs open), by display
    /// name ignoring ASCII case as SQLite's NOCASE does, then by id. Done here rather than with DISTINCT
    /// and ORDER BY: SQLite builds two temporary B-trees for those on every game page, even for no rows,
    /// and a topic has a handful.
    static func presentUsers(_ db: Database, topic: String) throws -> [User] {
        var seen = Set<Int64>()
        return try records(db, """
            SELECT \(User.columns) FROM presence JOIN users ON users.id = presence.user_id WHERE presence.topic = ?
            """, [topic], User.init)
            .filter { seen.insert($0.id).inserted }
            .sorted { a, b in
                let order = a.displayName.compareIgnoringASCIICase(b.displayName)
                return order != 0 ? order < 0 : a.id < b.id
            }
    }

    func presentUsers(topic: String) throws -> [User] {
        try read { db in try Self.presentUsers(db, topic: topic) }
    }
}

public enum PresenceEvent: Sendable, Equatable {
    case join(connection: String, userID: Int64?, topics: [String])
    case leave(connection: String)
    /// The bridge (re)started: nobody is connected.
    case reset
}

/// A message on the live demo page.
public struct LiveMessage: Sendable, Equatable {
    public let id: Int64
    public let author: String
    public let body: String
}

public extension Store {
    static func addLiveMessage(_ db: Database, userID: Int64, body: String) throws -> LiveMessage {
        try db.execute(sql: "INSERT INTO live_messages (user_id, body, created_at) VALUES (?, ?, ?)", arguments: [userID, body, unixNow()])
        let id = db.lastInsertedRowID
        try db.execute(sql: "DELETE FROM live_messages WHERE id <= ?", arguments: [id - 200])
        let author = try String.fetchOne(db.cachedStatement(sql: "SELECT display_name FROM users WHERE id = ?"), arguments: [userID]) ?? "?"
        return LiveMessage(id: id, author: author, body: body)
    }

    /// The latest messages, oldest first.
    static func recentLiveMessages(_ db: Database, limit: Int = 50) throws -> [LiveMessage] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT * FROM (SELECT live_messages.id, users.display_name, live_messages.body FROM live_messages
            JOIN users ON users.id = live_messages.user_id ORDER BY live_messages.id DESC LIMIT ?) ORDER BY id
            """), arguments: [limit]).map { LiveMessage(id: $0[0], author: $0[1], body: $0[2]) }
    }
}

public extension Store {
    /// Whether any page of the user is open (each signed-in page listens to `user:<id>`).
    static func isOnline(_ db: Database, userID: Int64) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM presence WHERE topic = ? AND user_id = ?)"),
                          arguments: ["user:\(userID)", userID]) ?? false
    }
}
