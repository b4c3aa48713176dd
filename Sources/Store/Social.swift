import GRDB

/// A friendship between two users as one of them sees it.
public struct Friendship: Sendable, Equatable {
    public let id: Int64
    /// The other user.
    public let other: User
    /// `pending`, `accepted` or `declined`.
    public let status: String
    /// True when the viewer sent the request.
    public let requestedByViewer: Bool
}

/// A challenge to a game.
public struct Challenge: Sendable, Equatable {
    public let id: Int64
    public let fromID: Int64
    public let toID: Int64
    public let fromName: String
    public let toName: String
    public let ruleset: String
    public let boardSize: Int
    /// The challenger's colour: `black`, `white` or `random`.
    public let colour: String
    public let status: String
    public let gameID: Int64?
    public let expiresAt: Int64
    public let createdAt: Int64
    public let fromUsername: String
    public let toUsername: String

    init(row: Row) {
        id = row["id"]; fromID = row["from_id"]; toID = row["to_id"]
        fromName = row["from_name"]; toName = row["to_name"]
        fromUsername = row["from_username"]; toUsername = row["to_username"]; createdAt = row["created_at"]
        ruleset = row["ruleset"]; boardSize = row["board_size"]; colour = row["colour"]
        status = row["status"]; gameID = row["game_id"]; expiresAt = row["expires_at"]
    }
}

/// Friends, friend requests and challenges: every SQL statement about them.
public extension Store {
    static func friendship(_ db: Database, between a: Int64, and b: Int64) throws -> Row? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM friendships WHERE user_low = ? AND user_high = ?"), arguments: [min(a, b), max(a, b)])
    }

    /// Every friendship row of `userID` that is not declined, with the other user.
    static func friendships(_ db: Database, of userID: Int64) throws -> [Friendship] {
        try records(db, """
            SELECT \(User.columns), f.id, f.status, f.requester_id
            FROM friendships f JOIN users ON users.id = CASE WHEN f.user_low = ? THEN f.user_high ELSE f.user_low END
            WHERE (f.user_low = ? OR f.user_high = ?) AND f.status != 'declined'
            ORDER BY users.display_name COLLATE NOCASE
            """, [userID, userID, userID]) {
            Friendship(id: try $0[5], other: try User(row: $0), status: try $0[6], requestedByViewer: (try $0[7] as Int64) == userID)
        }
    }

    /// Asks `to` to be friends, or re-asks after a decline. Returns the friendship id.
    static func requestFriendship(_ db: Database, from: Int64, to: Int64) throws -> Int64 {
        let now = unixNow()
        if let existing = try friendship(db, between: from, and: to) {
            let id: Int64 = existing["id"]
            try db.execute(sql: "UPDATE friendships SET status = 'pending', requester_id = ?, updated_at = ? WHERE id = ?",
                           arguments: [from, now, id])
            return id
        }
        try db.execute(sql: """
            INSERT INTO friendships (user_low, user_high, requester_id, status, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?)
            """, arguments: [min(from, to), max(from, to), from, now, now])
        return db.lastInsertedRowID
    }

    static func setFriendshipStatus(_ db: Database, id: Int64, status: String) throws {
        try db.execute(sql: "UPDATE friendships SET status = ?, updated_at = ? WHERE id = ?", arguments: [status, unixNow(), id])
    }

    static func deleteFriendship(_ db: Database, id: Int64) throws {
        try db.execute(sql: "DELETE FROM friendships WHERE id = ?", arguments: [id])
    }

    static func friendshipRow(_ db: Database, id: Int64) throws -> Row? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM friendships WHERE id = ?"), arguments: [id])
    }

    /// Users whose username or display name starts with `prefix` (case-insensitive), except `excluding`.
    static func searchUsers(_ db: Database, prefix: String, excluding: Int64, limit: Int = 10) throws -> [User] {
        let pattern = prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
        return try records(db, """
            SELECT \(User.columns) FROM users WHERE id != ? AND (username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\')
            ORDER BY username LIMIT ?
            """, [excluding, pattern, pattern, limit], User.init)
    }

    // MARK: Challenges

    private static let challengeSelect = """
        SELECT c.*, f.display_name AS from_name, t.display_name AS to_name, f.username AS from_username, t.username AS to_username
        FROM challenges c JOIN users f ON f.id = c.from_id JOIN users t ON t.id = c.to_id
        """

    static func createChallenge(_ db: Database, from: Int64, to: Int64, ruleset: String, boardSize: Int, colour: String,
                                lifetime: Int64) throws -> Challenge {
        let now = unixNow()
        try db.execute(sql: """
            INSERT INTO challenges (from_id, to_id, ruleset, board_size, colour, status, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
            """, arguments: [from, to, ruleset, boardSize, colour, now, now + lifetime])
        return try challenge(db, id: db.lastInsertedRowID)!
    }

    static func challenge(_ db: Database, id: Int64) throws -> Challenge? {
        try Row.fetchOne(db.cachedStatement(sql: challengeSelect + " WHERE c.id = ?"), arguments: [id]).map(Challenge.init)
    }

    /// Pending, unexpired challenges sent to and by `userID`, newest first.
    static func openChallenges(_ db: Database, of userID: Int64) throws -> (received: [Challenge], sent: [Challenge]) {
        let now = unixNow()
        let received = try Row.fetchAll(db.cachedStatement(sql: challengeSelect + " WHERE c.to_id = ? AND c.status = 'pending' AND c.expires_at > ? ORDER BY c.id DESC"),
                                        arguments: [userID, now]).map(Challenge.init)
        let sent = try Row.fetchAll(db.cachedStatement(sql: challengeSelect + " WHERE c.from_id = ? AND c.status = 'pending' AND c.expires_at > ? ORDER BY c.id DESC"),
                                    arguments: [userID, now]).map(Challenge.init)
        return (received, sent)
    }

    /// Marks every pending challenge whose time ran out as expired; returns them (as they were).
    static func expireChallenges(_ db: Database, now: Int64 = unixNow(), limit: Int = 500) throws -> [Challenge] {
        let due = try Row.fetchAll(db.cachedStatement(sql: challengeSelect + " WHERE c.status = 'pending' AND c.expires_at <= ? ORDER BY c.expires_at LIMIT ?"),
                                   arguments: [now, limit]).map(Challenge.init)
        for challenge in due { try setChallengeStatus(db, id: challenge.id, status: "expired") }
        return due
    }

    static func setChallengeStatus(_ db: Database, id: Int64, status: String, gameID: Int64? = nil) throws {
        try db.execute(sql: "UPDATE challenges SET status = ?, game_id = COALESCE(?, game_id) WHERE id = ?", arguments: [status, gameID, id])
    }

    /// A new, empty game.
    static func createGame(_ db: Database, blackID: Int64, whiteID: Int64, ruleset: String, boardSize: Int) throws -> Int64 {
        let now = unixNow()
        try db.execute(sql: """
            INSERT INTO games (black_id, white_id, ruleset, board_size, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [blackID, whiteID, ruleset, boardSize, now, now])
        return db.lastInsertedRowID
    }
}
