import Domain
import Foundation

/// A generated exercise as stored with the student's lesson (JSON in `lesson_exercises.puzzle`):
/// the engine's puzzle in board notation, so the row stays readable and independent of engine types.
struct Exercise: Codable, Sendable, Equatable {
    var kind: String
    var ruleset: String
    var size: Int
    var black: [String]
    var white: [String]
    var toMove: String
    var answer: String
    var solution: [String]
    var length: Int
    var difficulty: Int
    var explanation: String
    /// The engine's canonical key: equal for the same position up to symmetry, so a set has no repeats.
    var key: String

    init(_ puzzle: Puzzle) {
        let size = puzzle.boardSize
        func name(_ point: Point) -> String { point.notation(boardSize: size) ?? "" }
        kind = puzzle.kind.rawValue
        ruleset = puzzle.ruleset.rawValue
        self.size = size
        black = puzzle.stones.filter { $0.stone == .black }.map { name($0.point) }
        white = puzzle.stones.filter { $0.stone == .white }.map { name($0.point) }
        toMove = puzzle.toMove.rawValue
        answer = name(puzzle.answer)
        solution = puzzle.solution.map(name)
        length = puzzle.length
        difficulty = puzzle.difficulty
        explanation = puzzle.explanation
        key = puzzle.canonicalKey
    }

    static func decode(_ json: String) -> Exercise? { try? JSONDecoder().decode(Exercise.self, from: Data(json.utf8)) }

    var json: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data("{}".utf8), as: UTF8.self) }

    var puzzleKind: PuzzleKind? { PuzzleKind(rawValue: kind) }
    var rules: Ruleset { Ruleset(rawValue: ruleset) ?? .freestyle }
    var side: Stone { Stone(rawValue: toMove) ?? .black }

    /// The position; stones that do not parse are left off (a stored row never crashes a page).
    var board: Board {
        var board = (try? Board(size: size)) ?? (try! Board(size: 15))
        for (names, stone) in [(black, Stone.black), (white, Stone.white)] {
            for name in names { if let point = try? board.point(name) { board[point] = stone } }
        }
        return board
    }

    /// The question above the board, naming the side to move.
    var question: String {
        let mover = side.displayName
        switch puzzleKind {
        case .winInOne: return "\(mover) to play: find the move that makes five."
        case .vcf: return "\(mover) to play: win with a sequence of fours (\(length) moves). Find the first move."
        case .defend: return "\(mover) to play: your opponent threatens to win. Find the only move that stops it."
        case .fourThree: return "\(mover) to play: find the move that makes a four and an open three at once."
        case .forbidden: return "Black to play: one point here is forbidden for Black. Find it."
        case nil: return "\(mover) to play."
        }
    }
}
