/// How a threat search ended.
public enum ThreatSearchOutcome: String, Sendable, Hashable {
    /// A forced win was found; the result's `line` shows it.
    case win
    /// The search was exhaustive: there is no win of this kind within the depth limit.
    case noWin
    /// The node limit ran out first; nothing is claimed.
    case unknown
}

/// The answer of a VCF or VCT search.
public struct ThreatSearchResult: Sendable, Hashable {
    public var outcome: ThreatSearchOutcome
    /// The winning line, attacker first, the sides alternating; empty unless `outcome` is `.win`.
    /// It ends with the attacker's five, or with a four whose five points the defender may not
    /// occupy (renju: forbidden for Black), after which any Black move allows the five.
    /// Where the defender has several answers the line follows the one that resists longest.
    public var line: [Point]
    /// Attacker moves needed to win, counting the final five (`0` when there is no win).
    public var attackerMoves: Int
    /// Positions visited.
    public var nodes: Int
    /// The deepest limit (in attacker moves) that was searched completely.
    public var depthSearched: Int

    public init(outcome: ThreatSearchOutcome, line: [Point], attackerMoves: Int, nodes: Int, depthSearched: Int) {
        self.outcome = outcome
        self.line = line
        self.attackerMoves = attackerMoves
        self.nodes = nodes
        self.depthSearched = depthSearched
    }

    /// The attacker's first move when there is a win.
    public var firstMove: Point? { outcome == .win ? line.first : nil }

    /// Whether the answer is proven: a win, or no win within the depth limit.
    public var isExhaustive: Bool { outcome != .unknown }
}

/// The search shared by the VCF and VCT solvers: an AND/OR search over forcing moves with
/// iterative deepening on the attacker's move count and a transposition table of refuted depths.
///
/// Soundness rests on the defender nodes: every defender move that is not tried is one that
/// provably loses at once (it leaves a five, or a four the defender cannot stop), so a win
/// reported here is a win against every defence.
struct ThreatSearch {
    /// The verdict on one node.
    enum Verdict {
        /// Won; the continuation from this node (see `ThreatSearchResult.line`).
        case win(WinningLine)
        case fail
        case unknown
    }

    /// A continuation and the attacker moves it needs (more than it shows when it ends with a
    /// four the defender may not answer).
    struct WinningLine {
        var moves: [Point]
        var attackerMoves: Int

        func after(_ move: Point, byAttacker: Bool) -> WinningLine {
            WinningLine(moves: [move] + moves, attackerMoves: attackerMoves + (byAttacker ? 1 : 0))
        }
    }

    var position: ThreatPosition
    let attacker: Stone
    /// VCT when true: the attacker may also play threes, and the defender may answer with fours.
    let allowsThrees: Bool
    let nodeLimit: Int
    private(set) var nodes = 0
    /// For attacker-to-move positions: the largest depth proven to have no win.
    private var refutedDepth: [UInt64: Int] = [:]

    var defender: Stone { attacker.opponent }
    var ruleset: Ruleset { position.ruleset }

    init(board: Board, ruleset: Ruleset, attacker: Stone, allowsThrees: Bool, nodeLimit: Int) {
        position = ThreatPosition(board: board, ruleset: ruleset)
        self.attacker = attacker
        self.allowsThrees = allowsThrees
        self.nodeLimit = max(1, nodeLimit)
    }

    /// Iterative deepening from the root: the first depth that wins gives the shortest win.
    mutating func solve(maxDepth: Int) -> ThreatSearchResult {
        var searched = 0
        for depth in 1...max(1, maxDepth) {
            switch attackerNode(depth: depth) {
            case .win(let line):
                return ThreatSearchResult(
                    outcome: .win, line: line.moves, attackerMoves: line.attackerMoves, nodes: nodes, depthSearched: depth)
            case .unknown:
                return ThreatSearchResult(outcome: .unknown, line: [], attackerMoves: 0, nodes: nodes, depthSearched: searched)
            case .fail:
                searched = depth
            }
        }
        return ThreatSearchResult(outcome: .noWin, line: [], attackerMoves: 0, nodes: nodes, depthSearched: searched)
    }

    /// The result after the attacker plays `move` at the root: the shortest forced win that
    /// starts with it (the line then starts with `move`), searched to `maxDepth` attacker moves.
    mutating func solve(after move: Point, maxDepth: Int) -> ThreatSearchResult {
        guard position.board.contains(move), position.isEmpty(move), position.isAllowed(move, attacker) else {
            return ThreatSearchResult(outcome: .noWin, line: [], attackerMoves: 0, nodes: nodes, depthSearched: maxDepth)
        }
        if position.makesFive(move, attacker) {
            return ThreatSearchResult(outcome: .win, line: [move], attackerMoves: 1, nodes: nodes, depthSearched: 1)
        }
        let defenderFives = position.fivePoints(for: defender)
        if !defenderFives.isEmpty, !position.defences(against: defenderFives, of: defender).contains(move) {
            return ThreatSearchResult(outcome: .noWin, line: [], attackerMoves: 0, nodes: nodes, depthSearched: maxDepth)
        }
        var searched = 1
        for depth in 2...max(2, maxDepth) {
            position.play(move, attacker)
            let verdict = defenderNode(after: move, depth: depth - 1)
            position.undo(move, attacker)
            switch verdict {
            case .win(let line):
                let full = line.after(move, byAttacker: true)
                return ThreatSearchResult(
                    outcome: .win, line: full.moves, attackerMoves: full.attackerMoves, nodes: nodes, depthSearched: depth)
            case .unknown:
                return ThreatSearchResult(outcome: .unknown, line: [], attackerMoves: 0, nodes: nodes, depthSearched: searched)
            case .fail:
                searched = depth
            }
        }
        return ThreatSearchResult(outcome: .noWin, line: [], attackerMoves: 0, nodes: nodes, depthSearched: searched)
    }

    /// The attacker moves that can start a forcing sequence at the root.
    mutating func rootCandidates() -> [Point] {
        let fives = position.fivePoints(for: attacker)
        if !fives.isEmpty { return fives }
        return attackerMoves(defenderFives: position.fivePoints(for: defender))
    }

    // MARK: Nodes

    /// Attacker to move with at most `depth` moves left (the five counts). After a defender
    /// move that answered every attacker five (`answered`), only that move can have made fives,
    /// so the whole-board scans are skipped; `nil` scans everything (at the root).
    private mutating func attackerNode(depth: Int, answered: Point? = nil) -> Verdict {
        nodes += 1
        if nodes > nodeLimit { return .unknown }
        if answered == nil, let five = position.fivePoints(for: attacker).first {
            return .win(WinningLine(moves: [five], attackerMoves: 1))
        }
        if depth < 2 { return .fail }
        if let refuted = refutedDepth[position.hash], refuted >= depth { return .fail }
        let defenderFives = answered.map { position.fivePoints(through: $0, defender) } ?? position.fivePoints(for: defender)
        var sawUnknown = false
        for move in attackerMoves(defenderFives: defenderFives) {
            position.play(move, attacker)
            let verdict = defenderNode(after: move, depth: depth - 1)
            position.undo(move, attacker)
            switch verdict {
            case .win(let line): return .win(line.after(move, byAttacker: true))
            case .unknown: sawUnknown = true
            case .fail: break
            }
            if nodes > nodeLimit { return .unknown }
        }
        if sawUnknown { return .unknown }
        refutedDepth[position.hash] = max(refutedDepth[position.hash] ?? 0, depth)
        return .fail
    }

    /// The attacker's forcing moves here, most promising first. When the defender threatens a
    /// five the attacker must stop it; whether that stop keeps the initiative is judged after it.
    private mutating func attackerMoves(defenderFives: [Point]) -> [Point] {
        var moves: [Point]
        if !defenderFives.isEmpty {
            moves = position.defences(against: defenderFives, of: defender)
                .filter { position.isAllowed($0, attacker) }
            if !allowsThrees {
                // A VCF may only block with a four of its own.
                let fours = Set(position.fourMoves(for: attacker))
                moves = moves.filter { fours.contains($0) }
            }
            return moves
        }
        moves = position.fourMoves(for: attacker)
        let fourCount = moves.count
        if allowsThrees {
            let threes = position.threeMoves(for: attacker).filter { !moves.contains($0) }
            moves += threes
        }
        // Fours before threes, then moves among more of the attacker's own stones.
        let scores = moves.enumerated().map { index, point in
            (index < fourCount ? 100 : 0) + position.nearbyStones(point, attacker)
        }
        return zip(moves, scores).sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.map(\.0)
    }

    /// Defender to move right after the attacker played `last`; `depth` attacker moves remain.
    /// Neither side has a five point except those the attacker's `last` move made.
    private mutating func defenderNode(after last: Point, depth: Int) -> Verdict {
        nodes += 1
        if nodes > nodeLimit { return .unknown }
        let attackerFives = position.fivePoints(through: last, attacker)
        if !attackerFives.isEmpty {
            let answers = position.defences(against: attackerFives, of: attacker)
            if answers.isEmpty { return finishUnstoppableFour(attackerFives, depth: depth) }
            return allAnswersLose(answers, depth: depth)
        }
        guard allowsThrees, depth >= 2 else { return .fail }
        let winningFours = position.winningFourMoves(for: attacker)
        guard !winningFours.isEmpty else { return .fail }
        var answers = threatDefences(winningFours)
        for four in position.fourMoves(for: defender) where !answers.contains(four) { answers.append(four) }
        if answers.isEmpty {
            // Nothing helps; show the defender taking the first winning point, when allowed.
            guard let reply = (winningFours + position.lineNeighbourhood(of: winningFours[0], reach: 1))
                .first(where: { position.isEmpty($0) && position.isAllowed($0, defender) }) else {
                return .win(WinningLine(moves: [], attackerMoves: 2))
            }
            position.play(reply, defender)
            let verdict = attackerNode(depth: depth)
            position.undo(reply, defender)
            if case .win(let line) = verdict { return .win(line.after(reply, byAttacker: false)) }
            return .unknown
        }
        return allAnswersLose(answers, depth: depth)
    }

    /// The attacker has a four the defender cannot stop: show the defender's try and the five.
    private mutating func finishUnstoppableFour(_ fives: [Point], depth: Int) -> Verdict {
        guard let block = fives.first(where: { position.isAllowed($0, defender) }) else {
            return .win(WinningLine(moves: [], attackerMoves: 1))
        }
        position.play(block, defender)
        let five = position.fivePoints(for: attacker).first
        position.undo(block, defender)
        guard let five else { return .unknown }
        return .win(WinningLine(moves: [block, five], attackerMoves: 1))
    }

    /// AND node: the attacker wins only if every answer loses; the line follows the longest defence.
    private mutating func allAnswersLose(_ answers: [Point], depth: Int) -> Verdict {
        var longest: WinningLine?
        var sawUnknown = false
        for answer in answers {
            position.play(answer, defender)
            let verdict = attackerNode(depth: depth, answered: answer)
            position.undo(answer, defender)
            switch verdict {
            case .fail: return .fail
            case .unknown: sawUnknown = true
            case .win(let line):
                if line.attackerMoves > longest?.attackerMoves ?? -1 { longest = line.after(answer, byAttacker: false) }
            }
        }
        if sawUnknown { return .unknown }
        return longest.map { .win($0) } ?? .fail
    }

    /// Defender moves after which the attacker has no unstoppable four left. Outside renju a
    /// stone can only matter on the lines near each such four; renju's forbidden points reach
    /// further (recursively), so there every empty point is checked.
    private mutating func threatDefences(_ winningFours: [Point]) -> [Point] {
        var candidates: [Point]
        if ruleset.hasForbiddenMoves {
            candidates = position.board.emptyPoints
        } else {
            candidates = position.lineNeighbourhood(of: winningFours[0], reach: 5)
            for four in winningFours.dropFirst() {
                let near = Set(position.lineNeighbourhood(of: four, reach: 5))
                candidates = candidates.filter { near.contains($0) }
            }
        }
        var result: [Point] = []
        for candidate in candidates where position.isAllowed(candidate, defender) {
            position.play(candidate, defender)
            var stillLost = winningFours.contains { position.isEmpty($0) && isWinningFour($0) }
            if !stillLost { stillLost = !position.winningFourMoves(for: attacker).isEmpty }
            position.undo(candidate, defender)
            if !stillLost { result.append(candidate) }
        }
        return result
    }

    /// Whether the attacker's move on the empty `point` is an allowed four the defender cannot stop.
    private mutating func isWinningFour(_ point: Point) -> Bool {
        guard position.isAllowed(point, attacker), !position.makesFive(point, attacker) else { return false }
        position.play(point, attacker)
        let fives = position.fivePoints(through: point, attacker)
        let unstoppable = !fives.isEmpty && position.defences(against: fives, of: attacker).isEmpty
        position.undo(point, attacker)
        return unstoppable
    }
}
