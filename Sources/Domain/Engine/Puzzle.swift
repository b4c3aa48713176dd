/// The kinds of exercise the generator builds.
public enum PuzzleKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// Find the move that makes five.
    case winInOne
    /// Find the first move of the only shortest victory by continuous fours.
    case vcf
    /// The opponent threatens a VCF; find the one move that stops every one of them.
    case defend
    /// Find the move that makes a four and an open three at once.
    case fourThree
    /// Renju: find the point Black may not play.
    case forbidden

    /// Whether the kind exists under `ruleset` (forbidden points are renju only).
    public func isAvailable(under ruleset: Ruleset) -> Bool {
        self != .forbidden || ruleset.hasForbiddenMoves
    }
}

/// A stone of a puzzle position.
public struct PlacedStone: Sendable, Hashable, Codable {
    public var point: Point
    public var stone: Stone

    public init(point: Point, stone: Stone) {
        self.point = point
        self.stone = stone
    }
}

/// One exercise: a position, the side to move and its single correct first move.
public struct Puzzle: Sendable, Hashable {
    public var kind: PuzzleKind
    public var ruleset: Ruleset
    public var boardSize: Int
    /// The stones of the position in row-major order.
    public var stones: [PlacedStone]
    public var toMove: Stone
    /// The only correct first move.
    public var answer: Point
    /// A full solution starting with `answer`, the sides alternating (empty for `forbidden`).
    public var solution: [Point]
    /// Moves of the side to move needed to win (for `defend`: the opponent's threatened VCF; 1 for `forbidden`).
    public var length: Int
    /// Plausible first moves a solver has to weigh; more means harder to spot.
    public var width: Int
    /// 1 (easiest) to 5.
    public var difficulty: Int
    /// Equal for positions that are the same up to a board symmetry, side to move and ruleset.
    public var canonicalKey: String
    /// A short text for the tutor, in notation ("Black plays h8, making a four and an open three; …").
    public var explanation: String

    public init(kind: PuzzleKind, ruleset: Ruleset, boardSize: Int, stones: [PlacedStone], toMove: Stone, answer: Point,
                solution: [Point], length: Int, width: Int, difficulty: Int, canonicalKey: String, explanation: String) {
        self.kind = kind
        self.ruleset = ruleset
        self.boardSize = boardSize
        self.stones = stones
        self.toMove = toMove
        self.answer = answer
        self.solution = solution
        self.length = length
        self.width = width
        self.difficulty = difficulty
        self.canonicalKey = canonicalKey
        self.explanation = explanation
    }

    /// The position as a board (empty if the stored size is not a supported one).
    public var board: Board {
        var board = (try? Board(size: boardSize)) ?? Self.fallbackBoard
        for placed in stones where board.contains(placed.point) { board[placed.point] = placed.stone }
        return board
    }

    private static let fallbackBoard: Board = {
        guard let board = try? Board(size: 15) else { preconditionFailure("15 is a supported board size") }
        return board
    }()
}
