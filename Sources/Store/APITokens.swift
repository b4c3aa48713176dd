import Foundation
import GRDB

/// A device's API token, as its owner sees it (the token itself is never stored).
public struct APIToken: Sendable, Equatable {
    public let id: Int64
    public let userID: Int64
    public let deviceName: String
    /// The client's JSON object, kept as sent.
    public let deviceInfo: String
    public let createdAt: Int64
    public let lastUsedAt: Int64?
    public let expiresAt: Int64

    init(row: Row) {
        id = row["id"]; userID = row["user_id"]; deviceName = row["device_name"]; deviceInfo = row["device_info"]
        createdAt = row["created_at"]; lastUsedAt = row["last_used_at"]; expiresAt = row["expires_at"]
    }
}

public extension Store {
    /// Stores a new token's hash for `userID`; returns its record.
    static func createAPIToken(_ db: Database, userID: Int64, hash: [UInt8], deviceName: String, deviceInfo: String,
                               lifetime: Int64) throws -> APIToken {
        let now = unixNow()
        try db.execute(sql: """
            INSERT INTO api_tokens (user_id, token_hash, device_name, device_info, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [userID, Data(hash), deviceName, deviceInfo, now, now + lifetime])
        return try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_tokens WHERE id = ?"), arguments: [db.lastInsertedRowID]).map(APIToken.init)!
    }

    /// The unexpired token with this hash, and its user. `last_used_at` is written only when it is
    /// older than `touchInterval` seconds, so authenticated reads do not all become writes.
    func apiTokenUser(hash: [UInt8], touchInterval: Int64 = 60) throws -> (APIToken, User)? {
        let now = unixNow()
        let found = try read { db -> (APIToken, User)? in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_tokens WHERE token_hash = ? AND expires_at > ?"),
                                             arguments: [Data(hash), now]),
                  let user = try Store.userByID(db, row["user_id"]) else { return nil }
            return (APIToken(row: row), user)
        }
        if let (token, _) = found, (token.lastUsedAt ?? 0) < now - touchInterval {
            try write { db in try db.execute(sql: "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", arguments: [now, token.id]) }
        }
        return found
    }

    static func apiTokens(_ db: Database, userID: Int64) throws -> [APIToken] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM api_tokens WHERE user_id = ? AND expires_at > ? ORDER BY id"),
                         arguments: [userID, unixNow()]).map(APIToken.init)
    }

    /// Deletes token `id` if it is `userID`'s; false when there was none.
    static func deleteAPIToken(_ db: Database, id: Int64, userID: Int64) throws -> Bool {
        try db.execute(sql: "DELETE FROM api_tokens WHERE id = ? AND user_id = ?", arguments: [id, userID])
        return db.changesCount == 1
    }

    /// Deletes expired tokens (the maintenance job calls this).
    @discardableResult
    func purgeExpiredAPITokens() throws -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM api_tokens WHERE expires_at <= ?", arguments: [unixNow()])
            return db.changesCount
        }
    }
}
