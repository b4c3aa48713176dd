/// Finds victories by continuous fours: the attacker plays only fours (and finally a five),
/// each answered by the defender's forced block.
///
/// Renju is handled in full: Black may not play a forbidden four (a five is always allowed),
/// White may aim at points Black may not block, and when the defender's block makes a four
/// the attacker must stop it with another four or the line fails.
public struct VCFSolver: Sendable, Hashable {
    public var ruleset: Ruleset
    /// The longest win looked for, in attacker moves counting the final five.
    public var maxDepth: Int
    /// Positions to visit before giving up with `.unknown`.
    public var nodeLimit: Int

    public init(ruleset: Ruleset, maxDepth: Int = 15, nodeLimit: Int = 1_000_000) {
        self.ruleset = ruleset
        self.maxDepth = maxDepth
        self.nodeLimit = nodeLimit
    }

    /// The shortest VCF for `attacker`, who is to move on `board`.
    public func solve(_ board: Board, attacker: Stone) -> ThreatSearchResult {
        var search = ThreatSearch(board: board, ruleset: ruleset, attacker: attacker, allowsThrees: false, nodeLimit: nodeLimit)
        return search.solve(maxDepth: maxDepth)
    }

    /// The shortest VCF that starts with `firstMove` (`.noWin` if that move is not a legal forcing start).
    public func solve(_ board: Board, attacker: Stone, startingWith firstMove: Point) -> ThreatSearchResult {
        var search = ThreatSearch(board: board, ruleset: ruleset, attacker: attacker, allowsThrees: false, nodeLimit: nodeLimit)
        return search.solve(after: firstMove, maxDepth: maxDepth)
    }

    /// Every first move that starts a VCF, each with its shortest length; for puzzle uniqueness.
    public func winningFirstMoves(_ board: Board, attacker: Stone) -> FirstMoveAnalysis {
        var search = ThreatSearch(board: board, ruleset: ruleset, attacker: attacker, allowsThrees: false, nodeLimit: nodeLimit)
        return search.analyseFirstMoves(maxDepth: maxDepth)
    }
}

/// Which first moves win, for checking that a puzzle has exactly one answer.
public struct FirstMoveAnalysis: Sendable, Hashable {
    /// A first move with the shortest win found after it.
    public struct WinningMove: Sendable, Hashable {
        public var move: Point
        public var result: ThreatSearchResult
    }

    /// Every forcing first move that was examined (fives, fours and, for VCT, threes).
    public var candidates: [Point]
    /// The candidates that win, shortest first (ties in row-major order).
    public var wins: [WinningMove]
    /// False when some candidate ran out of nodes, so other wins might exist.
    public var isExhaustive: Bool
    /// Positions visited in total.
    public var nodes: Int

    /// The single shortest winning move, when exactly one first move wins at all.
    public var uniqueWin: WinningMove? {
        isExhaustive && wins.count == 1 ? wins[0] : nil
    }
}

extension ThreatSearch {
    /// Solves after each root candidate in turn, sharing the transposition table.
    mutating func analyseFirstMoves(maxDepth: Int) -> FirstMoveAnalysis {
        let candidates = rootCandidates()
        var wins: [FirstMoveAnalysis.WinningMove] = []
        var exhaustive = true
        var total = 0
        for move in candidates {
            let before = nodes
            var result = solve(after: move, maxDepth: maxDepth)
            result.nodes = nodes - before
            total = nodes
            switch result.outcome {
            case .win: wins.append(.init(move: move, result: result))
            case .unknown: exhaustive = false
            case .noWin: break
            }
            if nodes > nodeLimit {
                exhaustive = false
                break
            }
        }
        wins.sort { ($0.result.attackerMoves, $0.move) < ($1.result.attackerMoves, $1.move) }
        return FirstMoveAnalysis(candidates: candidates, wins: wins, isExhaustive: exhaustive, nodes: total)
    }
}
