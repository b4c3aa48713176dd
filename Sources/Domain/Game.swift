/// One stone played, numbered from 1 in the order of play.
public struct Move: Sendable, Hashable, Codable {
    /// 1 for Black's first stone, 2 for White's reply, and so on.
    public var number: Int
    public var point: Point
    public var stone: Stone

    public init(number: Int, point: Point, stone: Stone) {
        self.number = number
        self.point = point
        self.stone = stone
    }
}

/// Where a game stands.
public enum GameStatus: Sendable, Hashable {
    case ongoing
    /// `line` holds the stones to highlight: exactly five, or the whole line for a freestyle overline.
    case won(by: Stone, line: [Point])
    /// The board is full (or, in renju, Black has no allowed point left) and nobody has won.
    case draw
    /// `by` is the colour that gave up; the other colour wins.
    case resigned(by: Stone)

    /// Whether no more moves can be made.
    public var isOver: Bool { self != .ongoing }

    /// The winning colour, if the game has one.
    public var winner: Stone? {
        switch self {
        case .won(let stone, _): stone
        case .resigned(let stone): stone.opponent
        case .ongoing, .draw: nil
        }
    }
}

/// A game in progress or finished: the board, the moves in order and the result.
///
/// A value type with no clock or identity; the web app stores `moves` (see `moveList`) and
/// rebuilds the game with `init(replaying:size:ruleset:)`, which re-checks every move.
public struct Game: Sendable, Hashable {
    /// Fixed for the whole game.
    public let ruleset: Ruleset
    /// The stones as they stand; changed only through `play`.
    public private(set) var board: Board
    /// Every stone played, in order.
    public private(set) var moves: [Move] = []
    /// Ongoing until a win, a draw or a resignation.
    public private(set) var status: GameStatus = .ongoing

    /// A new game on an empty board; only 15×15 and 19×19 are allowed.
    public init(size: Int = 15, ruleset: Ruleset) throws(DomainError) {
        self.ruleset = ruleset
        self.board = try Board(size: size)
    }

    /// Replays stored moves in order, re-checking each, so a tampered list is refused.
    public init(replaying points: [Point], size: Int = 15, ruleset: Ruleset) throws(DomainError) {
        try self.init(size: size, ruleset: ruleset)
        for point in points {
            let number = moveNumber
            do {
                try play(point)
            } catch {
                let name = point.notation(boardSize: size) ?? "\(point)"
                throw DomainError("Move \(number) (\(name)) cannot be replayed: \(error.message)")
            }
        }
    }

    /// Replays a move list in notation ("h8 i9 j10", commas also accepted), as written by `moveList`.
    public init(replaying moveList: String, size: Int = 15, ruleset: Ruleset) throws(DomainError) {
        guard Board.supportedSizes.contains(size) else { throw DomainError.unsupportedBoardSize(size) }
        var points: [Point] = []
        for (index, token) in Game.tokens(of: moveList).enumerated() {
            do {
                points.append(try Point(token, boardSize: size))
            } catch {
                throw DomainError("Move \(index + 1) (\(token)) cannot be read: \(error.message)")
            }
        }
        try self.init(replaying: points, size: size, ruleset: ruleset)
    }

    static func tokens(of moveList: String) -> [String] {
        moveList.split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == ";" }).map(String.init)
    }

    /// Lines per side.
    public var size: Int { board.size }

    /// The colour whose turn it is; Black moves first.
    public var toMove: Stone { moves.count.isMultiple(of: 2) ? .black : .white }

    /// The number the next move will get (1 on an empty board); clients echo it back as `expectedMoveNumber`.
    public var moveNumber: Int { moves.count + 1 }

    /// The last stone played, to mark it on the board.
    public var lastMove: Move? { moves.last }

    /// The stones to highlight after a win; empty otherwise.
    public var winningLine: [Point] {
        if case .won(_, let line) = status { return line }
        return []
    }

    /// The moves in notation separated by spaces ("h8 i9 j10"), for storage and export.
    public var moveList: String {
        moves.map { $0.point.notation(boardSize: size) ?? "\($0.point)" }.joined(separator: " ")
    }

    /// The first reason the move would be refused, or `nil` when it may be played.
    /// - Parameters:
    ///   - stone: the colour of the player making the move; `nil` plays for whoever is to move.
    ///   - expectedMoveNumber: the `moveNumber` the player saw, so a repeated request cannot play twice.
    public func check(_ point: Point, as stone: Stone? = nil, expectedMoveNumber: Int? = nil) -> DomainError? {
        if let error = basicCheck(point, as: stone, expectedMoveNumber: expectedMoveNumber) { return error }
        if ruleset.hasForbiddenMoves, toMove == .black, let reason = Rules.forbiddenReason(at: point, on: board) {
            return .forbidden(reason)
        }
        return nil
    }

    /// Every check except the renju shapes, in the order players should hear about them.
    private func basicCheck(_ point: Point, as stone: Stone?, expectedMoveNumber: Int?) -> DomainError? {
        if status.isOver { return .gameOver }
        if let expected = expectedMoveNumber, expected != moveNumber { return .positionChanged }
        if let stone, stone != toMove { return .notYourTurn(toMove: toMove) }
        if !board.contains(point) { return .offBoard(size: size) }
        if board[point] != nil { return .occupied }
        return nil
    }

    /// Plays a stone for the side to move after checking it (see `check`), and updates the result.
    @discardableResult
    public mutating func play(_ point: Point, as stone: Stone? = nil, expectedMoveNumber: Int? = nil) throws(DomainError) -> Move {
        if let error = basicCheck(point, as: stone, expectedMoveNumber: expectedMoveNumber) { throw error }
        let mover = toMove
        switch Rules.evaluate(point, for: mover, on: board, ruleset: ruleset) {
        case .forbidden(let reason):
            throw .forbidden(reason)
        case .win(let line):
            board[point] = mover
            status = .won(by: mover, line: line)
        case .ordinary:
            board[point] = mover
            if board.isFull || !Rules.hasAllowedMove(for: mover.opponent, on: board, ruleset: ruleset) {
                status = .draw
            }
        }
        let move = Move(number: moves.count + 1, point: point, stone: mover)
        moves.append(move)
        return move
    }

    /// Plays a point given in notation such as "h8".
    @discardableResult
    public mutating func play(_ notation: String, as stone: Stone? = nil, expectedMoveNumber: Int? = nil) throws(DomainError) -> Move {
        try play(Point(notation, boardSize: size), as: stone, expectedMoveNumber: expectedMoveNumber)
    }

    /// `stone` gives up; either player may resign at any time while the game is on.
    public mutating func resign(_ stone: Stone) throws(DomainError) {
        if status.isOver { throw .gameOver }
        status = .resigned(by: stone)
    }

    /// Black's forbidden points on the current board, to highlight; empty unless renju and the game is on.
    public func forbiddenPoints() -> [ForbiddenPoint] {
        guard ruleset.hasForbiddenMoves, !status.isOver else { return [] }
        return Rules.forbiddenPoints(on: board)
    }
}
