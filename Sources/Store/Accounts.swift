import Foundation
import GRDB

/// A registered player.
public struct User: Sendable, Equatable {
    public let id: Int64
    public let username: String
    public let email: String
    public let displayName: String
    public let passwordHash: String

    /// The columns every query that reads users selects first, in this order (`init(row:)` reads them by position).
    static let columns = "users.id, users.username, users.email, users.display_name, users.password_hash"

    init(row: LiveRow) throws {
        id = try row[0]
        username = try row[1]
        email = try row[2]
        displayName = try row[3]
        passwordHash = try row[4]
    }
}

/// Why a new account could not be stored.
public enum AccountConflict: Error, Equatable, Sendable {
    case usernameTaken, emailTaken
}

/// Users, sessions and login throttling: every SQL statement about accounts lives here.
public extension Store {
    func user(id: Int64) throws -> User? {
        try read { db in try Self.user(db, id: id) }
    }

    func user(username: String) throws -> User? {
        try read { db in
            try Self.record(db, "SELECT \(User.columns) FROM users WHERE username = ?", [username], User.init)
        }
    }

    func usernameExists(_ username: String) throws -> Bool {
        try read { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM users WHERE username = ?)"), arguments: [username]) ?? false
        }
    }

    func emailExists(_ email: String) throws -> Bool {
        try read { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM users WHERE email = ?)"), arguments: [email]) ?? false
        }
    }

    /// Inserts a user; a taken username or email is reported, not thrown as a database error.
    func createUser(username: String, email: String, displayName: String, passwordHash: String) throws -> Result<User, AccountConflict> {
        try write { db in
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM users WHERE username = ?)"), arguments: [username]) == true {
                return .failure(.usernameTaken)
            }
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM users WHERE email = ?)"), arguments: [email]) == true {
                return .failure(.emailTaken)
            }
            try db.execute(sql: """
                INSERT INTO users (username, email, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [username, email, displayName, passwordHash, unixNow()])
            return .success(try Self.user(db, id: db.lastInsertedRowID)!)
        }
    }

    func setPasswordHash(userID: Int64, _ hash: String) throws {
        try write { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE id = ?", arguments: [hash, userID])
        }
    }

    static func userByID(_ db: Database, _ id: Int64) throws -> User? { try user(db, id: id) }

    private static func user(_ db: Database, id: Int64) throws -> User? {
        try record(db, "SELECT \(User.columns) FROM users WHERE id = ?", [id], User.init)
    }

    // MARK: Sessions

    /// Stores a new session under the hash of its secret id; the plain id only ever lives in the cookie.
    func createSession(idHash: [UInt8], userID: Int64, lifetime: Int64, userAgent: String, ip: String) throws {
        let now = unixNow()
        try write { db in
            try db.execute(sql: """
                INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, user_agent, ip)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [Data(idHash), userID, now, now, now + lifetime, String(userAgent.prefix(300)), ip])
            try db.execute(sql: "UPDATE users SET last_login_at = ? WHERE id = ?", arguments: [now, userID])
            // Expired sessions are removed a few at a time on login, never in a large sweep.
            try db.execute(sql: "DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions WHERE expires_at < ? LIMIT 50)", arguments: [now])
        }
    }

    /// Any session's row, expired or not: the time is compared here rather than in SQL, so the row can be
    /// kept between two commits (`read(memoizedAs:_:)`) and still stops counting the second it expires.
    private static let sessionUserSQL = """
        SELECT \(User.columns), sessions.last_seen_at, sessions.expires_at
        FROM sessions JOIN users ON users.id = sessions.user_id WHERE sessions.id_hash = ?
        """
    private struct SessionRead: Hashable { let idHash: [UInt8] }

    /// The user of a live session. Extends a sliding session at most once an hour, so reads stay reads.
    func sessionUser(idHash: [UInt8], lifetime: Int64, now: Int64 = unixNow()) throws -> User? {
        // Left open for the request's next read (this runs on every request; see `readLeavingOpen`).
        let row = try readLeavingOpen(memoizedAs: SessionRead(idHash: idHash)) { db -> (User, lastSeen: Int64, expires: Int64)? in
            try Self.record(db, Self.sessionUserSQL, [Data(idHash)]) { (try User(row: $0), try $0[5], try $0[6]) }
        }
        let found = row.flatMap { $0.expires > now ? ($0.0, $0.lastSeen) : nil }
        guard let (user, lastSeen) = found else { return nil }
        if now - lastSeen > 3600 {
            try write { db in
                try db.execute(sql: "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?",
                               arguments: [now, now + lifetime, Data(idHash)])
            }
        }
        return user
    }

    func deleteSession(idHash: [UInt8]) throws {
        try write { db in try db.execute(sql: "DELETE FROM sessions WHERE id_hash = ?", arguments: [Data(idHash)]) }
    }

    // MARK: Login throttling

    /// Failed logins recorded for `scope` (an account or a client address) within the last `window` seconds.
    func recentLoginFailures(scope: String, window: Int64) throws -> Int {
        try read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM login_failures WHERE scope = ? AND at > ?"),
                             arguments: [scope, unixNow() - window]) ?? 0
        }
    }

    func recordLoginFailure(scopes: [String]) throws {
        let now = unixNow()
        try write { db in
            for scope in scopes {
                try db.execute(sql: "INSERT INTO login_failures (scope, at) VALUES (?, ?)", arguments: [scope, now])
            }
            try db.execute(sql: "DELETE FROM login_failures WHERE id IN (SELECT id FROM login_failures WHERE at < ? LIMIT 100)",
                           arguments: [now - 86_400])
        }
    }

    func clearLoginFailures(scope: String) throws {
        try write { db in try db.execute(sql: "DELETE FROM login_failures WHERE scope = ?", arguments: [scope]) }
    }

    /// Deletes expired sessions and stale login failures (the maintenance job calls this).
    func purgeExpiredSessions() throws {
        let now = unixNow()
        try write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at < ?", arguments: [now])
            try db.execute(sql: "DELETE FROM login_failures WHERE at < ?", arguments: [now - 86_400])
        }
    }
}
