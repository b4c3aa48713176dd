import GRDB

/// A game as stored: who plays which colour, under which rules, and how it stands.
public struct GameRecord: Sendable, Equatable {
    public let id: Int64
    public let blackID: Int64
    public let whiteID: Int64
    public let blackName: String
    public let whiteName: String
    public let blackUsername: String
    public let whiteUsername: String
    /// `freestyle`, `standard`, `renju` or `caro` (Domain's `Ruleset` raw values).
    public let ruleset: String
    public let boardSize: Int
    /// `active` or `finished`.
    public let status: String
    /// `black`, `white` or `draw` once finished, with how (`five`, `resign`, `full`).
    public let result: String?
    public let moveCount: Int
    /// Seconds since 1970.
    public let createdAt: Int64

    /// A row of `Store.gameSelect`, by position.
    init(row: LiveRow) throws {
        id = try row[0]
        blackID = try row[1]
        whiteID = try row[2]
        blackName = try row[3]
        whiteName = try row[4]
        blackUsername = try row[5]
        whiteUsername = try row[6]
        ruleset = try row[7]
        boardSize = try row[8]
        status = try row[9]
        result = try row[10]
        moveCount = try row[11]
        createdAt = try row[12]
    }
}

/// A stored move: its number and where.
public struct StoredMove: Sendable, Equatable {
    public let number: Int
    public let row: Int
    public let col: Int
}

public extension Store {
    /// A game with its players' names: the one way every query reads games.
    static let gameSelect = """
        SELECT games.id, games.black_id, games.white_id, b.display_name AS black_name, w.display_name AS white_name,
               b.username AS black_username, w.username AS white_username, games.ruleset, games.board_size,
               games.status, games.result, games.move_count, games.created_at
        FROM games JOIN users b ON b.id = games.black_id JOIN users w ON w.id = games.white_id
        """

    static func game(_ db: Database, id: Int64) throws -> GameRecord? {
        try record(db, gameSelect + " WHERE games.id = ?", [id], GameRecord.init)
    }

    /// The moves of a game numbered above `number` (all of them by default), in order.
    static func moves(_ db: Database, gameID: Int64, after number: Int = 0) throws -> [StoredMove] {
        try records(db, "SELECT number, row, col FROM moves WHERE game_id = ? AND number > ? ORDER BY number", [gameID, number]) {
            StoredMove(number: try $0[0], row: try $0[1], col: try $0[2])
        }
    }

    /// Appends a move and updates the game's summary; `result` finishes the game.
    static func recordMove(_ db: Database, gameID: Int64, number: Int, row: Int, col: Int, result: String?) throws {
        let now = unixNow()
        try db.cachedStatement(sql: "INSERT INTO moves (game_id, number, row, col, created_at) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [gameID, number, row, col, now])
        // Status is assigned only when the game ends: SQLite rewrites the index entries of every column an
        // UPDATE assigns, even to the same value, and status is in three indexes (two pages of WAL per move).
        if let result {
            try db.cachedStatement(sql: "UPDATE games SET move_count = ?, updated_at = ?, status = 'finished', result = ? WHERE id = ?")
                .execute(arguments: [number, now, result, gameID])
        } else {
            try db.cachedStatement(sql: "UPDATE games SET move_count = ?, updated_at = ? WHERE id = ?")
                .execute(arguments: [number, now, gameID])
        }
    }

    /// Ends a game without a move (resignation).
    static func finishGame(_ db: Database, gameID: Int64, result: String) throws {
        try db.execute(sql: "UPDATE games SET status = 'finished', result = ?, updated_at = ? WHERE id = ?",
                       arguments: [result, unixNow(), gameID])
    }
}

/// Which games a list shows.
public struct GameFilter: Sendable, Equatable {
    /// `active`, `finished`, or nil for both.
    public var status: String?
    /// A ruleset raw value, or nil for any.
    public var ruleset: String?
    /// Part of a player's username or display name, or nil.
    public var player: String?

    public init(status: String? = nil, ruleset: String? = nil, player: String? = nil) {
        self.status = status
        self.ruleset = ruleset
        self.player = player
    }
}

public extension Store {
    /// One page of games, most recently active first, and how many match in all.
    func games(_ filter: GameFilter, limit: Int, offset: Int) throws -> (games: [GameRecord], total: Int) {
        try read { db in
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let status = filter.status { conditions.append("games.status = ?"); arguments.append(status) }
            if let ruleset = filter.ruleset { conditions.append("games.ruleset = ?"); arguments.append(ruleset) }
            if let player = filter.player {
                // LIKE with escaping: a % or _ typed by the user matches itself.
                let pattern = "%" + player.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_") + "%"
                conditions.append("""
                    (b.username LIKE ? ESCAPE '\\' OR b.display_name LIKE ? ESCAPE '\\'
                     OR w.username LIKE ? ESCAPE '\\' OR w.display_name LIKE ? ESCAPE '\\')
                    """)
                arguments += [pattern, pattern, pattern, pattern]
            }
            let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            // The SQL depends only on which filters are set (at most eight texts), so it is compiled once.
            let total = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM (\(Self.gameSelect + whereClause))"),
                                         arguments: StatementArguments(arguments)) ?? 0
            let games = try Self.records(db, Self.gameSelect + whereClause + " ORDER BY games.updated_at DESC, games.id DESC LIMIT ? OFFSET ?",
                                         StatementArguments(arguments + [limit, offset]), GameRecord.init)
            return (games, total)
        }
    }
}

public extension Store {
    /// A player's games in progress, most recently moved first.
    static func activeGames(_ db: Database, of userID: Int64, limit: Int = 50) throws -> [GameRecord] {
        try records(db, gameSelect + """
             WHERE (games.black_id = ? OR games.white_id = ?) AND games.status = 'active'
            ORDER BY games.updated_at DESC, games.id DESC LIMIT ?
            """, [userID, userID, limit], GameRecord.init)
    }
}

public extension GameRecord {
    /// Whether `userID` is to move (Black moves when the count of moves is even).
    func isTurn(of userID: Int64) -> Bool {
        status == "active" && (moveCount.isMultiple(of: 2) ? blackID == userID : whiteID == userID)
    }
}
