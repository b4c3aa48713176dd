/// A game played by a simple, noisy heuristic player, so generated positions look natural.
///
/// Each move weighs every empty point near the stones by the five-point windows through it:
/// windows holding only the mover's stones score for attack, only the opponent's for defence.
struct Playout {
    private(set) var board: Board
    let ruleset: Ruleset
    private var random: SplitMix64
    private(set) var moveCount = 0
    private(set) var toMove: Stone = .black

    /// Window scores by the number of the colour's stones in a five-point window (0...4).
    private static let attackWeights = [1, 6, 40, 300, 100_000]
    private static let defenceWeights = [0, 5, 30, 200, 20_000]

    init(size: Int, ruleset: Ruleset, random: SplitMix64) {
        board = (try? Board(size: size)) ?? (try? Board(size: 15)) ?? Playout.placeholder
        self.ruleset = ruleset
        self.random = random
    }

    /// Only reached if no supported size could be built, which cannot happen.
    private static var placeholder: Board {
        guard let board = try? Board() else { preconditionFailure("the default size is supported") }
        return board
    }

    /// Plays one move; `false` when the game is over (a five was available, or no move is left).
    mutating func playHeuristicMove() -> Bool {
        let candidates = nearbyEmptyPoints()
        guard !candidates.isEmpty else { return false }
        var scored: [(point: Point, score: Int)] = candidates.map { ($0, score($0)) }
        // One move in eight is a plausible but unforced choice, so games stay varied.
        if random.below(8) == 0 {
            scored = scored.filter { $0.score < 20_000 }
            scored = scored.sorted { $0.score > $1.score }.prefix(8).map { $0 }
        }
        scored = scored.map { ($0.point, $0.score + random.below(25)) }.sorted { ($0.score, $1.point) > ($1.score, $0.point) }
        for candidate in scored.prefix(if: random.below(8) == 0 ? 4 : 1, shuffledBy: &random) {
            switch Rules.evaluate(candidate.point, for: toMove, on: board, ruleset: ruleset) {
            case .win: return false
            case .forbidden: continue
            case .ordinary:
                board[candidate.point] = toMove
                toMove = toMove.opponent
                moveCount += 1
                return true
            }
        }
        // Every preferred point was forbidden for Black: take any allowed one.
        for candidate in scored {
            if case .ordinary = Rules.evaluate(candidate.point, for: toMove, on: board, ruleset: ruleset) {
                board[candidate.point] = toMove
                toMove = toMove.opponent
                moveCount += 1
                return true
            }
        }
        return false
    }

    /// The side to move makes a four and the opponent fails to block it, leaving a five to find.
    /// `preferBroken` picks a four whose five point lies in a gap when there is one; `counterFour`
    /// has the opponent answer with a four of its own when it can (a five still comes first).
    func withUnansweredFour(preferBroken: Bool = false, counterFour: Bool = false) -> Board? {
        var position = ThreatPosition(board: board, ruleset: ruleset)
        guard position.fivePoints(for: toMove.opponent).isEmpty else { return nil }
        var fours = position.fourMoves(for: toMove)
        guard !fours.isEmpty else { return nil }
        if preferBroken {
            let broken = fours.filter { four in
                position.play(four, toMove)
                let fives = position.fivePoints(through: four, toMove)
                position.undo(four, toMove)
                return fives.count == 1 && PuzzleGenerator.isGap(fives[0], of: toMove, on: board, with: four)
            }
            if !broken.isEmpty { fours = broken }
        }
        var random = self.random
        let four = fours[random.below(fours.count)]
        var result = board
        result[four] = toMove
        var afterFour = ThreatPosition(board: result, ruleset: ruleset)
        let fives = Set(afterFour.fivePoints(for: toMove))
        guard fives.count == 1 else { return nil }
        var copy = self
        copy.board = result
        copy.toMove = toMove.opponent
        var elsewhere = copy.nearbyEmptyPoints().filter { !fives.contains($0) }
        if counterFour {
            let counters = afterFour.fourMoves(for: toMove.opponent).filter { !fives.contains($0) }
            if !counters.isEmpty { elsewhere = counters }
        }
        guard !elsewhere.isEmpty else { return nil }
        let reply = elsewhere.max { (copy.score($0), $1) < (copy.score($1), $0) } ?? elsewhere[0]
        guard case .ordinary = Rules.evaluate(reply, for: toMove.opponent, on: result, ruleset: ruleset) else { return nil }
        result[reply] = toMove.opponent
        return result
    }

    /// Empty points within two lines of a stone, or the centre on an empty board, in row-major order.
    private func nearbyEmptyPoints() -> [Point] {
        if board.isEmpty { return [board.center] }
        let size = board.size
        var near = [Bool](repeating: false, count: size * size)
        for row in 0..<size {
            for col in 0..<size {
                let code = board.code(row, col)
                guard code == Cell.black || code == Cell.white else { continue }
                for r in max(0, row - 2)...min(size - 1, row + 2) {
                    for c in max(0, col - 2)...min(size - 1, col + 2) { near[r * size + c] = true }
                }
            }
        }
        var result: [Point] = []
        for row in 0..<size {
            for col in 0..<size where near[row * size + col] && board.code(row, col) == Cell.empty {
                result.append(Point(row: row, col: col))
            }
        }
        return result
    }

    /// Allowed moves for the side to move, best first by the heuristic (no randomness), at most `limit`.
    func rankedMoves(limit: Int) -> [Point] {
        let scored = nearbyEmptyPoints().map { ($0, score($0)) }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
        var result: [Point] = []
        for (point, _) in scored where result.count < limit {
            if case .ordinary = Rules.evaluate(point, for: toMove, on: board, ruleset: ruleset) { result.append(point) }
        }
        return result
    }

    /// Attack plus defence value of the five-point windows through `point`.
    private func score(_ point: Point) -> Int {
        let own = toMove.code
        let other = toMove.opponent.code
        var total = 0
        for direction in lineDirections {
            for start in -4...0 {
                var mine = 0
                var theirs = 0
                var blocked = false
                for offset in start...(start + 4) where offset != 0 {
                    switch board.code(point.row + direction.row * offset, point.col + direction.col * offset) {
                    case own: mine += 1
                    case other: theirs += 1
                    case Cell.empty: break
                    default: blocked = true
                    }
                }
                if blocked { continue }
                if theirs == 0 { total += Self.attackWeights[mine] }
                if mine == 0 { total += Self.defenceWeights[theirs] }
            }
        }
        return total
    }
}

private extension Array {
    /// The first `count` elements in a random order.
    func prefix(if count: Int, shuffledBy random: inout SplitMix64) -> [Element] {
        var head = Array(prefix(count))
        head.shuffle(using: &random)
        return head
    }
}
