/// An intersection of the board: `row` 0 is the top line, `col` 0 the left one.
///
/// A point knows nothing about the board size; `Board.contains(_:)` says whether it is on a board.
/// Players see points in notation such as "h8": a column letter from the left and a row number
/// counted from the BOTTOM, so the notation depends on the board size.
public struct Point: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// 0 is the top line.
    public var row: Int
    /// 0 is the left line.
    public var col: Int

    public init(row: Int, col: Int) {
        self.row = row
        self.col = col
    }

    /// The point `steps` away in direction `(dRow, dCol)`.
    public func offset(_ dRow: Int, _ dCol: Int, by steps: Int = 1) -> Point {
        Point(row: row + dRow * steps, col: col + dCol * steps)
    }

    /// Row-major order (top to bottom, then left to right), so listings are stable.
    public static func < (lhs: Point, rhs: Point) -> Bool {
        (lhs.row, lhs.col) < (rhs.row, rhs.col)
    }

    /// Debug form "(row,col)"; use `notation(boardSize:)` for players.
    public var description: String { "(\(row),\(col))" }

    /// Column letters in order; 19 are enough for the largest board.
    static let columnLetters: [Character] = Array("abcdefghijklmnopqrs")

    /// Parses notation like "h8" (case-insensitive, surrounding spaces ignored) on a board of `boardSize`.
    public init(_ notation: String, boardSize: Int) throws(DomainError) {
        guard Board.supportedSizes.contains(boardSize) else { throw DomainError.unsupportedBoardSize(boardSize) }
        let text = notation.trimmingWhitespace().lowercased()
        let lastLetter = Point.columnLetters[boardSize - 1]
        let example = "Enter a point as a column letter (a to \(lastLetter)) and a row number (1 to \(boardSize)), like h8."
        guard let first = text.first else { throw DomainError(example) }
        guard let col = Point.columnLetters.prefix(boardSize).firstIndex(of: first) else {
            if first.isLetter {
                throw DomainError("Column \"\(first)\" is not on the board; columns go from a to \(lastLetter).")
            }
            throw DomainError(example)
        }
        let digits = text.dropFirst()
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              !(digits.count > 1 && digits.first == "0"), let number = Int(String(digits)) else {
            throw DomainError(example)
        }
        guard (1...boardSize).contains(number) else {
            throw DomainError("Row \(number) is not on the board; rows go from 1 to \(boardSize).")
        }
        self.init(row: boardSize - number, col: col)
    }

    /// The notation players see, such as "h8"; `nil` when the point is off a board of `boardSize`.
    public func notation(boardSize: Int) -> String? {
        guard Board.supportedSizes.contains(boardSize),
              (0..<boardSize).contains(row), (0..<boardSize).contains(col) else { return nil }
        return "\(Point.columnLetters[col])\(boardSize - row)"
    }
}
