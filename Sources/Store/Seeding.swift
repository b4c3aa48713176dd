import GRDB

/// Demo and benchmark data: users paired into fresh games.
public struct SeededData: Sendable {
    public struct SeededUser: Sendable { public let username: String; public let password: String }
    public struct SeededGame: Sendable { public let id: Int64; public let black: String; public let white: String }
    public let users: [SeededUser]
    public let games: [SeededGame]
}

public extension Store {
    /// Replaces earlier demo data: `users` accounts named `player1…`, all with `password`, and `games`
    /// empty 15×15 freestyle games pairing users 2k and 2k+1 with Black to move.
    func seedDemo(users count: Int, games gameCount: Int, password: String, passwordHash: String) throws -> SeededData {
        try write { db in
            let previous = try Int64.fetchAll(db.cachedStatement(sql: "SELECT id FROM users WHERE username LIKE 'player%' AND email LIKE '%@demo.invalid'"))
            for id in previous {
                try db.execute(sql: "DELETE FROM games WHERE black_id = ? OR white_id = ?", arguments: [id, id])
                try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [id])
            }
            let now = unixNow()
            var users: [(id: Int64, name: String)] = []
            for index in 0..<count {
                let name = "player\(index + 1)"
                try db.execute(sql: """
                    INSERT INTO users (username, email, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [name, "\(name)@demo.invalid", "Player \(index + 1)", passwordHash, now])
                users.append((db.lastInsertedRowID, name))
            }
            var games: [SeededData.SeededGame] = []
            for k in 0..<gameCount where 2 * k + 1 < users.count {
                let black = users[2 * k], white = users[2 * k + 1]
                try db.execute(sql: """
                    INSERT INTO games (black_id, white_id, created_at, updated_at) VALUES (?, ?, ?, ?)
                    """, arguments: [black.id, white.id, now, now])
                games.append(.init(id: db.lastInsertedRowID, black: black.name, white: white.name))
            }
            return SeededData(users: users.map { .init(username: $0.name, password: password) }, games: games)
        }
    }
}
