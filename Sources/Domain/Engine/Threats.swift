/// The kinds of threat a move can make, strongest first.
public enum ThreatKind: Int, Sendable, Hashable, Comparable, CaseIterable, Codable {
    /// The move completes a winning five.
    case five
    /// Four in a row with both ends completing a five: it cannot be stopped.
    case straightFour
    /// Any other four: one point completes a five (two on one line, as in X.XXX.X, also count).
    case four
    /// Three in a row that one more stone turns into a straight four.
    case openThree
    /// Three with a gap (X.XX) that filling the gap turns into a straight four.
    case brokenThree

    public static func < (lhs: ThreatKind, rhs: ThreatKind) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Words for explanations ("an open three").
    public var phrase: String {
        switch self {
        case .five: "a five"
        case .straightFour: "a straight four"
        case .four: "a four"
        case .openThree: "an open three"
        case .brokenThree: "a broken three"
        }
    }
}

/// One threat a move would make along one line.
public struct Threat: Sendable, Hashable {
    /// The empty point the threatening stone goes on.
    public var move: Point
    /// The colour making the threat.
    public var stone: Stone
    public var kind: ThreatKind
    /// The stones forming the shape once the move is played, the move included, in line order.
    public var line: [Point]
    /// The points where the opponent answers it, in row-major order. For fours these are the
    /// five points (and in caro the point that would close the five at both ends); a straight
    /// four lists both five points, which one stone cannot cover. For threes these are the
    /// points that stop it becoming a straight four. Points Black may not play (renju) are left out.
    public var defencePoints: [Point]

    public init(move: Point, stone: Stone, kind: ThreatKind, line: [Point], defencePoints: [Point]) {
        self.move = move
        self.stone = stone
        self.kind = kind
        self.line = line
        self.defencePoints = defencePoints
    }
}

/// Threat detection for every ruleset, on top of `Rules`: fives and fours respect exact-five,
/// overline and caro's closed-five rules; renju Black's forbidden points make no threats, and a
/// Black three whose straight-four point is forbidden is no three.
public enum Threats {
    /// Every threat `stone` could make with one move, strongest first, then by point.
    public static func threats(for stone: Stone, on board: Board, ruleset: Ruleset, strongerThan weakest: ThreatKind = .brokenThree) -> [Threat] {
        var position = ThreatPosition(board: board, ruleset: ruleset)
        var result: [Threat] = []
        // Every three lies in a five-point window with two other stones of the colour.
        for point in position.windowCandidates(for: stone, count: 2) + position.windowCandidates(for: stone, count: 3)
            + position.windowCandidates(for: stone, count: 4) {
            result += threats(of: point, for: stone, in: &position).filter { $0.kind <= weakest }
        }
        var seen = Set<Threat>()
        result = result.filter { seen.insert($0).inserted }
        result.sort { ($0.kind, $0.move, $0.line.first ?? $0.move) < ($1.kind, $1.move, $1.line.first ?? $1.move) }
        return result
    }

    /// The threats `stone` would make by playing on `move`: a single `.five` when it wins, nothing
    /// when the point is off the board, taken, or forbidden for renju Black, else one per line.
    public static func threats(of move: Point, for stone: Stone, on board: Board, ruleset: Ruleset) -> [Threat] {
        var position = ThreatPosition(board: board, ruleset: ruleset)
        return threats(of: move, for: stone, in: &position)
    }

    static func threats(of move: Point, for stone: Stone, in position: inout ThreatPosition) -> [Threat] {
        guard position.board.contains(move), position.isEmpty(move) else { return [] }
        position.play(move, stone)
        defer { position.undo(move, stone) }
        if let five = position.scan.winningLine(at: move, stone) {
            return [Threat(move: move, stone: stone, kind: .five, line: five, defencePoints: [])]
        }
        if position.ruleset.hasForbiddenMoves, stone == .black, position.scan.forbiddenReason(blackAt: move) != nil {
            return []
        }
        var result: [Threat] = []
        for direction in lineDirections {
            if let four = fourThreat(move, direction, stone, &position) {
                result.append(four)
            } else if let three = threeThreat(move, direction, stone, &position) {
                result.append(three)
            }
        }
        return result
    }

    /// The four along `direction` through the stone just placed on `move`, if any.
    private static func fourThreat(_ move: Point, _ direction: Direction, _ stone: Stone, _ position: inout ThreatPosition) -> Threat? {
        let run = position.scan.run(at: move, direction, stone.code)
        let ends = position.scan.fiveCompletions(at: move, direction, stone)
        guard !ends.isEmpty else { return nil }
        let fives = ends.map { move.offset(direction.row, direction.col, by: $0) }.sorted()
        let straight = run.length == 4 && ends.count == 2
        let line = stonesOnLine(move, direction, stone, &position, near: ends)
        var answers = straight || ends.count == 2 ? fives : position.defences(against: fives, of: stone)
        answers = answers.filter { position.isAllowed($0, stone.opponent) }
        return Threat(move: move, stone: stone, kind: straight ? .straightFour : .four, line: line, defencePoints: answers)
    }

    /// The stones of `stone` that a five through one of `ends` would use, the move included.
    private static func stonesOnLine(_ move: Point, _ direction: Direction, _ stone: Stone, _ position: inout ThreatPosition, near ends: [Int]) -> [Point] {
        let target = move.offset(direction.row, direction.col, by: ends[0])
        position.scan.place(stone, at: target)
        let run = position.scan.run(at: move, direction, stone.code)
        position.scan.clear(target)
        return (run.low...run.high).map { move.offset(direction.row, direction.col, by: $0) }.filter { $0 != target }
    }

    /// The open or broken three along `direction` through the stone just placed on `move`, if any.
    private static func threeThreat(_ move: Point, _ direction: Direction, _ stone: Stone, _ position: inout ThreatPosition) -> Threat? {
        let straightFourPoints = straightFourPoints(move, direction, stone, &position)
        guard let first = straightFourPoints.first else { return nil }
        let solid = position.scan.run(at: move, direction, stone.code).length == 3
        position.scan.place(stone, at: first)
        let run = position.scan.run(at: move, direction, stone.code)
        position.scan.clear(first)
        let line = (run.low...run.high).map { move.offset(direction.row, direction.col, by: $0) }.filter { $0 != first }
        var answers: [Point] = []
        for offset in -5...5 where offset != 0 && position.scan.cell(move, direction, offset) == Cell.empty {
            let point = move.offset(direction.row, direction.col, by: offset)
            guard position.isAllowed(point, stone.opponent) else { continue }
            position.scan.place(stone.opponent, at: point)
            let stopped = self.straightFourPoints(move, direction, stone, &position).isEmpty
            position.scan.clear(point)
            if stopped { answers.append(point) }
        }
        return Threat(move: move, stone: stone, kind: solid ? .openThree : .brokenThree, line: line, defencePoints: answers.sorted())
    }

    /// Empty points on the line where one more stone makes a straight four through `move`
    /// (for renju Black only allowed points that do not make a five, as RIF counts threes).
    private static func straightFourPoints(_ move: Point, _ direction: Direction, _ stone: Stone, _ position: inout ThreatPosition) -> [Point] {
        let recursive = position.ruleset.hasForbiddenMoves && stone == .black
        var result: [Point] = []
        for offset in -4...4 where offset != 0 && position.scan.cell(move, direction, offset) == Cell.empty {
            let point = move.offset(direction.row, direction.col, by: offset)
            position.scan.place(stone, at: point)
            let run = position.scan.run(at: move, direction, stone.code)
            var counts = position.scan.isStraightFour(run, at: move, direction, stone)
            if counts, recursive {
                counts = !position.scan.makesFive(at: point, stone) && position.scan.forbiddenReason(blackAt: point) == nil
            }
            position.scan.clear(point)
            if counts { result.append(point) }
        }
        return result
    }
}
