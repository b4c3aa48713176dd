/// Why renju forbids a Black move. The raw value is the short name shown next to a highlighted point.
public enum ForbiddenReason: String, Sendable, Hashable, CaseIterable, Codable {
    case doubleThree = "double three"
    case doubleFour = "double four"
    case overline

    /// The sentence shown to a player whose move was refused.
    public var explanation: String {
        switch self {
        case .doubleThree: "Black may not make two open threes with one move (renju rule)."
        case .doubleFour: "Black may not make two fours with one move (renju rule)."
        case .overline: "Black may not make six or more in a row (renju rule)."
        }
    }
}

/// An empty point Black may not play on, and why; used to highlight the board.
public struct ForbiddenPoint: Sendable, Hashable {
    public var point: Point
    public var reason: ForbiddenReason

    public init(point: Point, reason: ForbiddenReason) {
        self.point = point
        self.reason = reason
    }
}

/// What a single move would do under a ruleset.
public enum MoveOutcome: Sendable, Hashable {
    /// The move is allowed and does not end the game by itself.
    case ordinary
    /// The move wins; `line` holds the stones to highlight (exactly five, or the whole freestyle overline).
    case win(line: [Point])
    /// Renju only: Black may not play here.
    case forbidden(ForbiddenReason)
}

/// The threats a move makes, for engines: counted the way the renju definitions count them.
public struct MoveShape: Sendable, Hashable {
    /// The winning stones when the move wins, else `nil`.
    public var winningLine: [Point]?
    /// Whether the move makes six or more in a row that does not win under the ruleset.
    public var makesOverline: Bool
    /// Fours made through the point; a straight four counts once, two fours on one line count twice.
    public var fours: Int
    /// Lines through the point holding an open three (one that can still become a straight four).
    /// For renju Black, a three whose straight-four point is forbidden does not count.
    public var threes: Int
    /// The points where the same colour would complete a five next (where the opponent must answer).
    public var fivePoints: [Point]
    /// Renju Black only: why the move is forbidden.
    public var forbidden: ForbiddenReason?

    public init(winningLine: [Point]?, makesOverline: Bool, fours: Int, threes: Int, fivePoints: [Point], forbidden: ForbiddenReason?) {
        self.winningLine = winningLine
        self.makesOverline = makesOverline
        self.fours = fours
        self.threes = threes
        self.fivePoints = fivePoints
        self.forbidden = forbidden
    }
}

/// The rules of every ruleset as pure functions of a board, shared by `Game` and engines.
///
/// Each function looks only along the four lines through the point it is asked about, so one
/// check is cheap. Functions taking a hypothetical move expect an empty point on the board.
public enum Rules {
    /// What playing `stone` on the empty `point` would do.
    public static func evaluate(_ point: Point, for stone: Stone, on board: Board, ruleset: Ruleset) -> MoveOutcome {
        precondition(board.contains(point) && board[point] == nil, "evaluate needs an empty point on the board")
        var scan = LineScan(board: board, ruleset: ruleset)
        scan.place(stone, at: point)
        if let line = scan.winningLine(at: point, stone) { return .win(line: line) }
        if ruleset.hasForbiddenMoves, stone == .black, let reason = scan.forbiddenReason(blackAt: point) {
            return .forbidden(reason)
        }
        return .ordinary
    }

    /// The winning line through a stone already on the board, if that stone is part of one.
    public static func winningLine(through point: Point, on board: Board, ruleset: Ruleset) -> [Point]? {
        guard board.contains(point), let stone = board[point] else { return nil }
        return LineScan(board: board, ruleset: ruleset).winningLine(at: point, stone)
    }

    /// Why Black may not play on the empty `point` under renju, or `nil` when Black may (a five always may).
    public static func forbiddenReason(at point: Point, on board: Board) -> ForbiddenReason? {
        precondition(board.contains(point) && board[point] == nil, "forbiddenReason needs an empty point on the board")
        var scan = LineScan(board: board, ruleset: .renju)
        guard scan.blackNeighbours(of: point) >= 4 else { return nil }
        scan.place(.black, at: point)
        return scan.forbiddenReason(blackAt: point)
    }

    /// Every empty point Black may not play on under renju, top row first.
    public static func forbiddenPoints(on board: Board) -> [ForbiddenPoint] {
        var scan = LineScan(board: board, ruleset: .renju)
        var result: [ForbiddenPoint] = []
        for point in board.points where board.code(point.row, point.col) == Cell.empty {
            // A forbidden shape needs at least four other black stones on the lines within reach.
            guard scan.blackNeighbours(of: point) >= 4 else { continue }
            scan.place(.black, at: point)
            if let reason = scan.forbiddenReason(blackAt: point) {
                result.append(ForbiddenPoint(point: point, reason: reason))
            }
            scan.clear(point)
        }
        return result
    }

    /// Whether `stone` has at least one allowed move (only renju Black can run out before the board fills).
    public static func hasAllowedMove(for stone: Stone, on board: Board, ruleset: Ruleset) -> Bool {
        guard ruleset.hasForbiddenMoves, stone == .black else { return !board.isFull }
        var scan = LineScan(board: board, ruleset: .renju)
        for point in board.points where board.code(point.row, point.col) == Cell.empty {
            guard scan.blackNeighbours(of: point) >= 4 else { return true }
            scan.place(.black, at: point)
            let reason = scan.forbiddenReason(blackAt: point)
            scan.clear(point)
            if reason == nil { return true }
        }
        return false
    }

    /// The fours, threes and five points `stone` would make on the empty `point`, for threat search.
    public static func shape(of point: Point, for stone: Stone, on board: Board, ruleset: Ruleset) -> MoveShape {
        precondition(board.contains(point) && board[point] == nil, "shape needs an empty point on the board")
        var scan = LineScan(board: board, ruleset: ruleset)
        scan.place(stone, at: point)
        let recursive = ruleset.hasForbiddenMoves && stone == .black
        var shape = MoveShape(
            winningLine: scan.winningLine(at: point, stone), makesOverline: false, fours: 0, threes: 0,
            fivePoints: [], forbidden: recursive ? scan.forbiddenReason(blackAt: point) : nil)
        for direction in lineDirections {
            let run = scan.run(at: point, direction, stone.code)
            if run.length >= 6, !scan.isFive(run, at: point, direction, stone) { shape.makesOverline = true }
            let ends = scan.fiveCompletions(at: point, direction, stone)
            shape.fivePoints += ends.map { point.offset(direction.row, direction.col, by: $0) }
            let fours = LineScan.fourCount(completions: ends, run: run)
            shape.fours += fours
            if fours == 0, scan.hasThree(at: point, direction, stone, recursive: recursive) { shape.threes += 1 }
        }
        shape.fivePoints.sort()
        return shape
    }
}

/// A line direction as row and column steps.
struct Direction: Sendable {
    let row: Int
    let col: Int
}

/// Horizontal, vertical, diagonal and anti-diagonal: each line is scanned once, both ways.
let lineDirections: [Direction] = [
    Direction(row: 0, col: 1), Direction(row: 1, col: 0), Direction(row: 1, col: 1), Direction(row: 1, col: -1),
]

/// A contiguous run of one colour along a line, as offsets from the point it was measured from.
struct Run {
    let low: Int
    let high: Int
    var length: Int { high - low + 1 }
}

/// Scratch analysis of one board. Hypothetical stones are placed and removed in place,
/// so the recursive renju checks never copy the board.
struct LineScan {
    var board: Board
    let ruleset: Ruleset

    @inline(__always) func cell(_ point: Point, _ direction: Direction, _ offset: Int) -> UInt8 {
        board.code(point.row + direction.row * offset, point.col + direction.col * offset)
    }

    @inline(__always) mutating func place(_ stone: Stone, at point: Point) {
        board.cells[point.row * board.size + point.col] = stone.code
    }

    @inline(__always) mutating func clear(_ point: Point) {
        board.cells[point.row * board.size + point.col] = Cell.empty
    }

    /// The run of `code` through `point` (which must hold `code`).
    func run(at point: Point, _ direction: Direction, _ code: UInt8) -> Run {
        var low = 0
        while cell(point, direction, low - 1) == code { low -= 1 }
        var high = 0
        while cell(point, direction, high + 1) == code { high += 1 }
        return Run(low: low, high: high)
    }

    /// Whether a run counts as a five for `stone` under the ruleset.
    func isFive(_ run: Run, at point: Point, _ direction: Direction, _ stone: Stone) -> Bool {
        switch ruleset {
        case .freestyle:
            return run.length >= 5
        case .standard:
            return run.length == 5
        case .renju:
            return stone == .black ? run.length == 5 : run.length >= 5
        case .caro:
            guard run.length == 5 else { return false }
            let opponent = stone.opponent.code
            return !(cell(point, direction, run.low - 1) == opponent && cell(point, direction, run.high + 1) == opponent)
        }
    }

    /// The winning stones through `point` (holding `stone`), first winning direction only.
    func winningLine(at point: Point, _ stone: Stone) -> [Point]? {
        for direction in lineDirections {
            let run = run(at: point, direction, stone.code)
            if isFive(run, at: point, direction, stone) {
                return (run.low...run.high).map { point.offset(direction.row, direction.col, by: $0) }
            }
        }
        return nil
    }

    /// Whether the stone at `point` makes a five in any direction.
    func makesFive(at point: Point, _ stone: Stone) -> Bool {
        lineDirections.contains { isFive(run(at: point, $0, stone.code), at: point, $0, stone) }
    }

    /// Offsets of the empty points that would turn the run through `point` into a five.
    /// Only the two ends of the run can join it, so there are at most two.
    mutating func fiveCompletions(at point: Point, _ direction: Direction, _ stone: Stone) -> [Int] {
        let current = run(at: point, direction, stone.code)
        var result: [Int] = []
        for end in [current.low - 1, current.high + 1] where cell(point, direction, end) == Cell.empty {
            let target = point.offset(direction.row, direction.col, by: end)
            place(stone, at: target)
            if isFive(run(at: point, direction, stone.code), at: point, direction, stone) { result.append(end) }
            clear(target)
        }
        return result
    }

    /// Fours on one line: a straight four (one run of four open at both ends) is one four;
    /// two completions around a shorter run (X.XXX.X, XX.XX.XX, XXX.X.XXX) are two fours.
    static func fourCount(completions: [Int], run: Run) -> Int {
        completions.count == 2 && run.length == 4 ? 1 : completions.count
    }

    /// Whether the unbroken run `run` through `point` is a straight four: two different fives.
    mutating func isStraightFour(_ run: Run, at point: Point, _ direction: Direction, _ stone: Stone) -> Bool {
        guard run.length == 4 else { return false }
        for end in [run.low - 1, run.high + 1] {
            guard cell(point, direction, end) == Cell.empty else { return false }
            let target = point.offset(direction.row, direction.col, by: end)
            place(stone, at: target)
            let five = isFive(self.run(at: point, direction, stone.code), at: point, direction, stone)
            clear(target)
            if !five { return false }
        }
        return true
    }

    /// Whether the line through `point` holds a three including it: one more stone (next to the run
    /// through `point`) makes a straight four. With `recursive` (renju Black) that stone must be an
    /// allowed move that does not itself make a five, so threes whose only completion is forbidden do not count.
    mutating func hasThree(at point: Point, _ direction: Direction, _ stone: Stone, recursive: Bool) -> Bool {
        let current = run(at: point, direction, stone.code)
        for end in [current.low - 1, current.high + 1] where cell(point, direction, end) == Cell.empty {
            let target = point.offset(direction.row, direction.col, by: end)
            place(stone, at: target)
            var counts = isStraightFour(run(at: point, direction, stone.code), at: point, direction, stone)
            if counts, recursive {
                counts = !makesFive(at: target, stone) && forbiddenReason(blackAt: target) == nil
            }
            clear(target)
            if counts { return true }
        }
        return false
    }

    /// Black stones within four points of `point` along its four lines (not counting `point`).
    func blackNeighbours(of point: Point) -> Int {
        var count = 0
        for direction in lineDirections {
            for offset in -4...4 where offset != 0 && cell(point, direction, offset) == Cell.black { count += 1 }
        }
        return count
    }

    /// The renju verdict on the black stone just placed at `point`: a five is always allowed;
    /// otherwise an overline, two or more fours, or two or more threes are forbidden.
    mutating func forbiddenReason(blackAt point: Point) -> ForbiddenReason? {
        // Any forbidden shape (and any five) needs four other black stones nearby.
        guard blackNeighbours(of: point) >= 4 else { return nil }
        var runs: [Run] = []
        runs.reserveCapacity(4)
        for direction in lineDirections {
            let run = run(at: point, direction, Cell.black)
            if run.length == 5 { return nil }
            runs.append(run)
        }
        if runs.contains(where: { $0.length >= 6 }) { return .overline }
        var fours = 0
        var hasFour = [false, false, false, false]
        for (index, direction) in lineDirections.enumerated() {
            let count = LineScan.fourCount(completions: fiveCompletions(at: point, direction, .black), run: runs[index])
            hasFour[index] = count > 0
            fours += count
        }
        if fours >= 2 { return .doubleFour }
        var threes = 0
        for (index, direction) in lineDirections.enumerated() where !hasFour[index] {
            if hasThree(at: point, direction, .black, recursive: true) {
                threes += 1
                if threes >= 2 { return .doubleThree }
            }
        }
        return nil
    }
}
