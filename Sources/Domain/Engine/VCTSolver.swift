/// A bounded search for victories by threats: the attacker plays fours and open (or broken)
/// threes; the defender may answer a three on any point that stops it or with any four.
///
/// The search is sound: it never reports a win that a defence refutes. When its depth or node
/// limit is too small it says `.noWin` (within the depth) or `.unknown`, never a wrong win.
public struct VCTSolver: Sendable, Hashable {
    public var ruleset: Ruleset
    /// The longest win looked for, in attacker moves counting the final five.
    public var maxDepth: Int
    /// Positions to visit before giving up with `.unknown`.
    public var nodeLimit: Int

    public init(ruleset: Ruleset, maxDepth: Int = 7, nodeLimit: Int = 200_000) {
        self.ruleset = ruleset
        self.maxDepth = maxDepth
        self.nodeLimit = nodeLimit
    }

    /// The shortest threat sequence for `attacker`, who is to move on `board`.
    public func solve(_ board: Board, attacker: Stone) -> ThreatSearchResult {
        var search = ThreatSearch(board: board, ruleset: ruleset, attacker: attacker, allowsThrees: true, nodeLimit: nodeLimit)
        return search.solve(maxDepth: maxDepth)
    }

    /// The shortest threat sequence that starts with `firstMove`.
    public func solve(_ board: Board, attacker: Stone, startingWith firstMove: Point) -> ThreatSearchResult {
        var search = ThreatSearch(board: board, ruleset: ruleset, attacker: attacker, allowsThrees: true, nodeLimit: nodeLimit)
        return search.solve(after: firstMove, maxDepth: maxDepth)
    }

    /// Every first move that starts a threat win, each with its shortest length.
    public func winningFirstMoves(_ board: Board, attacker: Stone) -> FirstMoveAnalysis {
        var search = ThreatSearch(board: board, ruleset: ruleset, attacker: attacker, allowsThrees: true, nodeLimit: nodeLimit)
        return search.analyseFirstMoves(maxDepth: maxDepth)
    }
}
