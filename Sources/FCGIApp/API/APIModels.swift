import Domain
import Foundation
import Store

// The API's JSON shapes (docs/api.md, static/api/openapi.json). Field names are the wire names.

struct UserJSON: Encodable {
    let id: Int64
    let username: String
    let display_name: String

    init(_ user: User) { id = user.id; username = user.username; display_name = user.displayName }
}

struct PlayerRefJSON: Encodable {
    let id: Int64
    let username: String
    let display_name: String
}

struct TokenInfoJSON: Encodable {
    let id: Int64
    let device_name: String
    let device_info: [String: JSONValue]
    let created_at: Int64
    let last_used_at: Int64?
    let expires_at: Int64
    let current: Bool

    init(_ token: APIToken, current: Bool) {
        id = token.id
        device_name = token.deviceName
        device_info = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(token.deviceInfo.utf8))) ?? [:]
        created_at = token.createdAt
        last_used_at = token.lastUsedAt
        expires_at = token.expiresAt
        self.current = current
    }
}

struct IssuedTokenJSON: Encodable {
    let token: String
    let expires_at: Int64
    let token_info: TokenInfoJSON
}

struct PointJSON: Encodable {
    let row: Int
    let col: Int
    let notation: String

    init(_ point: Point, size: Int) { row = point.row; col = point.col; notation = point.notation(boardSize: size) ?? "" }
}

struct GameSummaryJSON: Encodable {
    let id: Int64
    let black: PlayerRefJSON
    let white: PlayerRefJSON
    let ruleset: String
    let size: Int
    let status: String
    let result: String?
    let move_count: Int
    let created_at: Int64

    init(_ record: GameRecord, status: String? = nil, result: String?? = nil, moveCount: Int? = nil) {
        id = record.id
        black = PlayerRefJSON(id: record.blackID, username: record.blackUsername, display_name: record.blackName)
        white = PlayerRefJSON(id: record.whiteID, username: record.whiteUsername, display_name: record.whiteName)
        ruleset = record.ruleset
        size = record.boardSize
        self.status = status ?? record.status
        self.result = result ?? record.result
        move_count = moveCount ?? record.moveCount
        created_at = record.createdAt
    }
}

struct GameJSON: Encodable {
    struct MoveJSON: Encodable {
        let number: Int
        let row: Int
        let col: Int
        let notation: String
        let stone: String
    }

    struct ForbiddenJSON: Encodable {
        let row: Int
        let col: Int
        let notation: String
        let reason: String
    }

    /// The summary's fields, with status, result and move count taken from the replayed game (the truth
    /// even before the row's counters are re-read); encoded flat, next to the detail fields.
    let summary: GameSummaryJSON
    let to_move: String?
    let next_move_number: Int
    let your_colour: String?
    let board: [String]
    let moves: [MoveJSON]
    let winning_line: [PointJSON]
    let forbidden: [ForbiddenJSON]
    let status_text: String

    private enum CodingKeys: String, CodingKey {
        case to_move, next_move_number, your_colour, board, moves, winning_line, forbidden, status_text
    }

    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(to_move, forKey: .to_move)
        try container.encode(next_move_number, forKey: .next_move_number)
        try container.encodeIfPresent(your_colour, forKey: .your_colour)
        try container.encode(board, forKey: .board)
        try container.encode(moves, forKey: .moves)
        try container.encode(winning_line, forKey: .winning_line)
        try container.encode(forbidden, forKey: .forbidden)
        try container.encode(status_text, forKey: .status_text)
    }

    init(record: GameRecord, game: Game, viewer: User?) {
        let size = game.board.size
        summary = GameSummaryJSON(record, status: game.status.isOver ? "finished" : "active",
                                  result: game.status.isOver ? (App.result(of: game) ?? record.result) : nil, moveCount: game.moves.count)
        to_move = game.status.isOver ? nil : game.toMove.rawValue
        next_move_number = game.moveNumber
        your_colour = viewer.flatMap { $0.id == record.blackID ? "black" : $0.id == record.whiteID ? "white" : nil }
        board = (0..<size).map { row in
            String((0..<size).map { col -> Character in
                switch game.board[Point(row: row, col: col)] {
                case .black: "x"
                case .white: "o"
                case nil: "."
                }
            })
        }
        moves = game.moves.enumerated().map { index, move in
            MoveJSON(number: index + 1, row: move.point.row, col: move.point.col,
                     notation: move.point.notation(boardSize: size) ?? "", stone: move.stone.rawValue)
        }
        winning_line = game.winningLine.map { PointJSON($0, size: size) }
        forbidden = game.status.isOver || game.toMove != .black || !game.ruleset.hasForbiddenMoves ? [] : game.forbiddenPoints().map {
            ForbiddenJSON(row: $0.point.row, col: $0.point.col, notation: $0.point.notation(boardSize: size) ?? "", reason: $0.reason.rawValue)
        }
        status_text = BoardView(record: record, game: game).statusText
    }
}

struct GameListJSON: Encodable {
    let games: [GameSummaryJSON]
    let page: Int
    let pages: Int
    let total: Int
}

struct ChallengeJSON: Encodable {
    let id: Int64
    let from: PlayerRefJSON
    let to: PlayerRefJSON
    let ruleset: String
    let size: Int
    let colour: String
    let status: String
    let game_id: Int64?
    let created_at: Int64
    let expires_at: Int64
}

struct FriendJSON: Encodable {
    let id: Int64
    let user: PlayerRefJSON
    let status: String
    let online: Bool
}
