import Domain

/// A position drawn as text: "X" Black, "O" White, "." empty, and lowercase letters (not x or o)
/// for empty points the test wants to name. Spaces are ignored, so rows may be spaced out.
/// The picture is placed with its top-left corner at (`top`, `left`) on an otherwise empty board.
struct Picture {
    var board: Board
    var marks: [Character: Point]

    init(_ text: String, size: Int = 15, top: Int = 3, left: Int = 3) {
        var board = try! Board(size: size)
        var marks: [Character: Point] = [:]
        let rows = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.filter { $0 != " " } }
            .filter { !$0.isEmpty }
        for (r, line) in rows.enumerated() {
            for (c, char) in line.enumerated() {
                let point = Point(row: top + r, col: left + c)
                precondition(board.contains(point), "picture does not fit the board at \(point)")
                switch char {
                case "X": board[point] = .black
                case "O": board[point] = .white
                case ".": break
                default:
                    precondition(char.isLowercase && char != "x" && char != "o", "unknown picture character \(char)")
                    precondition(marks[char] == nil, "mark \(char) used twice")
                    marks[char] = point
                }
            }
        }
        self.board = board
        self.marks = marks
    }

    /// The named empty point.
    subscript(_ mark: Character) -> Point {
        guard let point = marks[mark] else { preconditionFailure("no mark \(mark) in the picture") }
        return point
    }

    func evaluate(_ mark: Character, _ stone: Stone = .black, _ ruleset: Ruleset = .renju) -> MoveOutcome {
        Rules.evaluate(self[mark], for: stone, on: board, ruleset: ruleset)
    }

    func forbidden(_ mark: Character) -> ForbiddenReason? {
        Rules.forbiddenReason(at: self[mark], on: board)
    }
}

/// Small deterministic random numbers (SplitMix64) so fuzz tests repeat exactly.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Game {
    /// Plays the given points in turn, failing the test loudly if any is refused.
    mutating func playAll(_ notations: [String]) throws {
        for notation in notations { try play(notation) }
    }
}
