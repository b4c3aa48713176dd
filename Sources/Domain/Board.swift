/// The stones on a square board. A value type: copying is cheap and never shares changes.
///
/// The board holds no rules; `Rules` and `Game` decide what may be played.
public struct Board: Sendable, Hashable, CustomStringConvertible {
    /// The sizes the site offers; others are refused so saved games stay comparable.
    public static let supportedSizes: [Int] = [15, 19]

    /// Lines per side (15 or 19).
    public let size: Int

    /// Row-major cells holding `Cell` codes; kept as bytes so scans stay fast.
    @usableFromInline var cells: [UInt8]

    /// An empty board; only 15 and 19 are allowed.
    public init(size: Int = 15) throws(DomainError) {
        guard Board.supportedSizes.contains(size) else { throw DomainError.unsupportedBoardSize(size) }
        self.size = size
        self.cells = [UInt8](repeating: Cell.empty, count: size * size)
    }

    /// Whether the point lies on this board.
    @inlinable public func contains(_ point: Point) -> Bool {
        point.row >= 0 && point.row < size && point.col >= 0 && point.col < size
    }

    /// The stone at a point, `nil` when empty. The point must be on the board.
    @inlinable public subscript(point: Point) -> Stone? {
        get {
            precondition(contains(point), "point \(point) is off the \(size)x\(size) board")
            return Stone(code: cells[point.row &* size &+ point.col])
        }
        set {
            precondition(contains(point), "point \(point) is off the \(size)x\(size) board")
            cells[point.row &* size &+ point.col] = newValue?.code ?? Cell.empty
        }
    }

    /// Same as `self[Point(row:col:)]`.
    @inlinable public subscript(row: Int, col: Int) -> Stone? {
        get { self[Point(row: row, col: col)] }
        set { self[Point(row: row, col: col)] = newValue }
    }

    /// The raw cell, or `Cell.wall` off the board, so line scans need no bounds logic.
    @inlinable func code(_ row: Int, _ col: Int) -> UInt8 {
        guard row >= 0, row < size, col >= 0, col < size else { return Cell.wall }
        return cells[row &* size &+ col]
    }

    /// How many stones have been placed.
    public var stoneCount: Int { cells.reduce(0) { $0 + ($1 == Cell.empty ? 0 : 1) } }

    /// Whether no empty point is left (the game is then a draw unless it was just won).
    public var isFull: Bool { !cells.contains(Cell.empty) }

    /// Whether no stone has been placed yet.
    public var isEmpty: Bool { !cells.contains { $0 != Cell.empty } }

    /// The centre point, where games usually open.
    public var center: Point { Point(row: size / 2, col: size / 2) }

    /// Every point, row by row from the top.
    public var points: [Point] {
        var result: [Point] = []
        result.reserveCapacity(size * size)
        for row in 0..<size { for col in 0..<size { result.append(Point(row: row, col: col)) } }
        return result
    }

    /// Every empty point, row by row from the top.
    public var emptyPoints: [Point] {
        points.filter { cells[$0.row * size + $0.col] == Cell.empty }
    }

    /// Parses notation such as "h8" for this board's size.
    public func point(_ notation: String) throws(DomainError) -> Point {
        try Point(notation, boardSize: size)
    }

    /// The notation of a point on this board, such as "h8"; `nil` when it is off the board.
    public func notation(_ point: Point) -> String? {
        point.notation(boardSize: size)
    }

    /// Rows from the top, "X" for Black, "O" for White, "." for empty; handy in logs and tests.
    public var description: String {
        (0..<size).map { row in
            String((0..<size).map { col -> Character in
                switch cells[row * size + col] {
                case Cell.black: "X"
                case Cell.white: "O"
                default: "."
                }
            })
        }.joined(separator: "\n")
    }
}
