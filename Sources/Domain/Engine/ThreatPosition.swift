/// The mutable board the threat searches work on: stones are played and taken back in place,
/// with a Zobrist hash and per-colour stone lists kept up to date, so no board is ever copied.
///
/// All rule questions go through `LineScan`, the same code `Rules` uses, so the engine can never
/// disagree with the referee about a five, a four or a renju forbidden point.
struct ThreatPosition {
    /// The board and the rule helpers; hypothetical stones go straight into `scan.board`.
    var scan: LineScan
    /// Zobrist hash of the stones on the board.
    private(set) var hash: UInt64
    /// Black's and White's stones (index 0 and 1), most recent last.
    private var stoneLists: [[Point]]
    /// Scratch marks used to deduplicate candidate points without allocating a set.
    private var marks: [UInt32]
    private var markGeneration: UInt32 = 0

    var ruleset: Ruleset { scan.ruleset }
    var board: Board { scan.board }
    var size: Int { scan.board.size }

    init(board: Board, ruleset: Ruleset) {
        scan = LineScan(board: board, ruleset: ruleset)
        hash = Zobrist.hash(of: board)
        var black: [Point] = []
        var white: [Point] = []
        for point in board.points {
            switch board.code(point.row, point.col) {
            case Cell.black: black.append(point)
            case Cell.white: white.append(point)
            default: break
            }
        }
        stoneLists = [black, white]
        marks = [UInt32](repeating: 0, count: board.size * board.size)
    }

    // MARK: Playing and taking back

    @inline(__always) func isEmpty(_ point: Point) -> Bool {
        scan.board.code(point.row, point.col) == Cell.empty
    }

    @inline(__always) func stones(of stone: Stone) -> [Point] {
        stoneLists[stone == .black ? 0 : 1]
    }

    /// Puts `stone` on the empty `point`.
    mutating func play(_ point: Point, _ stone: Stone) {
        scan.place(stone, at: point)
        hash ^= Zobrist.key(stone, point)
        stoneLists[stone == .black ? 0 : 1].append(point)
    }

    /// Takes back the last stone of that colour, which must be `point`.
    mutating func undo(_ point: Point, _ stone: Stone) {
        scan.clear(point)
        hash ^= Zobrist.key(stone, point)
        stoneLists[stone == .black ? 0 : 1].removeLast()
    }

    /// Whether `stone` may play on the empty `point` (only renju Black has forbidden points).
    mutating func isAllowed(_ point: Point, _ stone: Stone) -> Bool {
        guard ruleset.hasForbiddenMoves, stone == .black else { return true }
        guard scan.blackNeighbours(of: point) >= 4 else { return true }
        scan.place(.black, at: point)
        let reason = scan.forbiddenReason(blackAt: point)
        scan.clear(point)
        return reason == nil
    }

    /// Why Black may not play on the empty `point` under renju, if it is forbidden.
    mutating func forbiddenReason(_ point: Point) -> ForbiddenReason? {
        guard ruleset.hasForbiddenMoves, scan.blackNeighbours(of: point) >= 4 else { return nil }
        scan.place(.black, at: point)
        let reason = scan.forbiddenReason(blackAt: point)
        scan.clear(point)
        return reason
    }

    // MARK: Candidate windows

    /// Empty points lying in some five-point window that holds exactly `count` stones of
    /// `stone` and nothing else. Every five point (count 4) and every four-making point (count 3)
    /// is in such a window, so these are complete candidate sets; exact checks follow.
    mutating func windowCandidates(for stone: Stone, count: Int) -> [Point] {
        markGeneration &+= 1
        if markGeneration == 0 {
            for index in marks.indices { marks[index] = 0 }
            markGeneration = 1
        }
        let code = stone.code
        let size = self.size
        var result: [Point] = []
        for origin in stones(of: stone) {
            for direction in lineDirections {
                windows: for start in -4...0 {
                    var found = 0
                    for offset in start...(start + 4) {
                        let cell = scan.cell(origin, direction, offset)
                        if cell == code {
                            // Each window is counted from its first stone of this colour only.
                            if offset < 0 { continue windows }
                            found += 1
                        } else if cell != Cell.empty {
                            continue windows
                        }
                    }
                    guard found == count else { continue }
                    for offset in start...(start + 4) where scan.cell(origin, direction, offset) == Cell.empty {
                        let point = origin.offset(direction.row, direction.col, by: offset)
                        let index = point.row * size + point.col
                        if marks[index] != markGeneration {
                            marks[index] = markGeneration
                            result.append(point)
                        }
                    }
                }
            }
        }
        return result
    }

    // MARK: Fives and fours

    /// Whether `stone` on the empty `point` completes a five under the ruleset.
    mutating func makesFive(_ point: Point, _ stone: Stone) -> Bool {
        scan.place(stone, at: point)
        let five = scan.makesFive(at: point, stone)
        scan.clear(point)
        return five
    }

    /// Every empty point where `stone` would complete a five, in row-major order.
    mutating func fivePoints(for stone: Stone) -> [Point] {
        var result = windowCandidates(for: stone, count: 4).filter { makesFive($0, stone) }
        result.sort()
        return result
    }

    /// The five points of the line(s) through the stone of colour `stone` already on `point`.
    mutating func fivePoints(through point: Point, _ stone: Stone) -> [Point] {
        var result: [Point] = []
        for direction in lineDirections {
            let run = scan.run(at: point, direction, stone.code)
            for end in [run.low - 1, run.high + 1] where scan.cell(point, direction, end) == Cell.empty {
                let target = point.offset(direction.row, direction.col, by: end)
                scan.place(stone, at: target)
                let five = scan.isFive(scan.run(at: point, direction, stone.code), at: point, direction, stone)
                scan.clear(target)
                if five, !result.contains(target) { result.append(target) }
            }
        }
        result.sort()
        return result
    }

    /// Whether the stone of colour `stone` on `point` has a five point on some line through it.
    mutating func hasFivePoint(through point: Point, _ stone: Stone) -> Bool {
        for direction in lineDirections {
            let run = scan.run(at: point, direction, stone.code)
            for end in [run.low - 1, run.high + 1] where scan.cell(point, direction, end) == Cell.empty {
                let target = point.offset(direction.row, direction.col, by: end)
                scan.place(stone, at: target)
                let five = scan.isFive(scan.run(at: point, direction, stone.code), at: point, direction, stone)
                scan.clear(target)
                if five { return true }
            }
        }
        return false
    }

    /// Every allowed move for `stone` that makes a four (a next-move five) without making a five.
    mutating func fourMoves(for stone: Stone) -> [Point] {
        var result: [Point] = []
        for point in windowCandidates(for: stone, count: 3) {
            scan.place(stone, at: point)
            let isFour = !scan.makesFive(at: point, stone) && hasFivePoint(through: point, stone)
            scan.clear(point)
            if isFour, isAllowed(point, stone) { result.append(point) }
        }
        result.sort()
        return result
    }

    /// The allowed moves of the opponent of `attacker` that leave none of `fivePoints` completing
    /// a five: the point itself, and in caro also the far end that closes a five at both ends.
    mutating func defences(against fivePoints: [Point], of attacker: Stone) -> [Point] {
        let defender = attacker.opponent
        var candidates = fivePoints
        if ruleset == .caro {
            for five in fivePoints {
                scan.place(attacker, at: five)
                for direction in lineDirections {
                    let run = scan.run(at: five, direction, attacker.code)
                    for end in [run.low - 1, run.high + 1] where scan.cell(five, direction, end) == Cell.empty {
                        let point = five.offset(direction.row, direction.col, by: end)
                        if !candidates.contains(point) { candidates.append(point) }
                    }
                }
                scan.clear(five)
            }
        }
        var result: [Point] = []
        for candidate in candidates where isAllowed(candidate, defender) {
            scan.place(defender, at: candidate)
            var stopped = true
            for five in fivePoints where five != candidate {
                if makesFive(five, attacker) {
                    stopped = false
                    break
                }
            }
            scan.clear(candidate)
            if stopped { result.append(candidate) }
        }
        result.sort()
        return result
    }

    // MARK: Threes

    /// Allowed moves for `stone` that make an open or broken three (by the renju definition for
    /// renju Black): candidates for the attacker in a threat search.
    mutating func threeMoves(for stone: Stone) -> [Point] {
        let recursive = ruleset.hasForbiddenMoves && stone == .black
        var result: [Point] = []
        for point in windowCandidates(for: stone, count: 2) {
            scan.place(stone, at: point)
            var three = false
            for direction in lineDirections where scan.hasThree(at: point, direction, stone, recursive: recursive) {
                three = true
                break
            }
            scan.clear(point)
            if three, isAllowed(point, stone) { result.append(point) }
        }
        result.sort()
        return result
    }

    /// Allowed four moves for `attacker` that the opponent cannot stop with one stone
    /// (a straight four, two fives at once, or in renju a five point Black may not block).
    /// Expects that neither side has a five point on the board.
    mutating func winningFourMoves(for attacker: Stone) -> [Point] {
        var result: [Point] = []
        for point in fourMoves(for: attacker) {
            scan.place(attacker, at: point)
            let fives = fivePoints(through: point, attacker)
            let answers = defences(against: fives, of: attacker)
            scan.clear(point)
            if answers.isEmpty { result.append(point) }
        }
        return result
    }

    // MARK: Neighbourhoods

    /// Empty points on the four lines through `point` within `reach` steps, and the point itself if empty.
    func lineNeighbourhood(of point: Point, reach: Int) -> [Point] {
        var result: [Point] = []
        if isEmpty(point) { result.append(point) }
        for direction in lineDirections {
            for offset in -reach...reach where offset != 0 && scan.cell(point, direction, offset) == Cell.empty {
                result.append(point.offset(direction.row, direction.col, by: offset))
            }
        }
        return result
    }

    /// How many stones of `stone` lie within two points of `point` (king-move distance); used to order moves.
    func nearbyStones(_ point: Point, _ stone: Stone) -> Int {
        var count = 0
        for dRow in -2...2 {
            for dCol in -2...2 where scan.board.code(point.row + dRow, point.col + dCol) == stone.code {
                count += 1
            }
        }
        return count
    }
}

extension ThreatPosition {
    /// Whether `line` (attacker first) is still a forced VCF win here: every attacker move is an
    /// allowed four, each recorded reply is the defender's only answer, and the defender never
    /// has a five first. A cheap proof; `false` only means "not proven by this line".
    mutating func replayWins(_ line: [Point], attacker: Stone) -> Bool {
        let defender = attacker.opponent
        var played: [(Point, Stone)] = []
        defer { for (point, stone) in played.reversed() { undo(point, stone) } }
        for (index, point) in line.enumerated() {
            guard board.contains(point), isEmpty(point) else { return false }
            guard index.isMultiple(of: 2) else {
                play(point, defender)
                played.append((point, defender))
                continue
            }
            guard isAllowed(point, attacker) else { return false }
            if makesFive(point, attacker) { return true }
            guard fivePoints(for: defender).isEmpty else { return false }
            play(point, attacker)
            played.append((point, attacker))
            let fives = fivePoints(through: point, attacker)
            guard !fives.isEmpty else { return false }
            let answers = defences(against: fives, of: attacker)
            if answers.isEmpty { return true }
            guard index + 1 < line.count, answers == [line[index + 1]] else { return false }
        }
        return false
    }
}
