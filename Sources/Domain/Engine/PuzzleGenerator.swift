/// What to generate: a kind of exercise under a ruleset, reproducibly from a seed.
public struct PuzzleRequest: Sendable, Hashable {
    public var kind: PuzzleKind
    public var ruleset: Ruleset
    public var boardSize: Int
    /// How many puzzles are wanted; fewer come back when the budget runs out.
    public var count: Int
    /// Only puzzles of this difficulty (1...5), or any when `nil`.
    public var difficulty: Int?
    /// The same seed always gives the same puzzles.
    public var seed: UInt64
    /// Search positions to spend in total (solver nodes), which bounds the time taken.
    public var nodeBudget: Int
    /// Random games to play out at most.
    public var maxPlayouts: Int

    public init(kind: PuzzleKind, ruleset: Ruleset, boardSize: Int = 15, count: Int = 5, difficulty: Int? = nil,
                seed: UInt64, nodeBudget: Int = 40_000, maxPlayouts: Int = 60) {
        self.kind = kind
        self.ruleset = ruleset
        self.boardSize = boardSize
        self.count = count
        self.difficulty = difficulty
        self.seed = seed
        self.nodeBudget = nodeBudget
        self.maxPlayouts = maxPlayouts
    }
}

/// Builds puzzles from seeded playouts of a simple heuristic player, keeping only positions
/// with exactly one correct first move, deduplicated across the board's symmetries.
public enum PuzzleGenerator {
    /// Puzzles for the request, at most `count`, in the order found. Deterministic for a seed.
    public static func generate(_ request: PuzzleRequest) -> [Puzzle] {
        guard request.count > 0, request.kind.isAvailable(under: request.ruleset),
              Board.supportedSizes.contains(request.boardSize) else { return [] }
        var random = SplitMix64(seed: request.seed)
        var budget = NodeBudget(remaining: max(0, request.nodeBudget))
        var found: [Puzzle] = []
        var keys = Set<String>()
        for _ in 0..<max(0, request.maxPlayouts) where found.count < request.count && budget.remaining > 0 {
            var playout = Playout(size: request.boardSize, ruleset: request.ruleset, random: SplitMix64(seed: random.next()))
            let length = 8 + random.below(40)
            while playout.moveCount < length, budget.remaining > 0, found.count < request.count {
                guard playout.playHeuristicMove() else { break }
                budget.spend(NodeBudget.costOfPlayoutMove)
                guard playout.moveCount >= 6 else { continue }
                let position = request.kind == .winInOne ? playout.withUnansweredFour() : playout.board
                guard let position,
                      let puzzle = analyse(position, toMove: playout.toMove, kind: request.kind, ruleset: request.ruleset, budget: &budget)
                else { continue }
                if let wanted = request.difficulty, puzzle.difficulty != wanted { continue }
                if keys.insert(puzzle.canonicalKey).inserted { found.append(puzzle) }
            }
        }
        return found
    }

    /// The puzzle of `kind` this position makes with `toMove` to play, or `nil` when it has no
    /// single correct first move (or the check would need more than `nodeLimit` search positions).
    public static func puzzle(from board: Board, toMove: Stone, kind: PuzzleKind, ruleset: Ruleset, nodeLimit: Int = 200_000) -> Puzzle? {
        var budget = NodeBudget(remaining: nodeLimit)
        return analyse(board, toMove: toMove, kind: kind, ruleset: ruleset, budget: &budget)
    }

    // MARK: Checking a position

    static let maxVCFDepth = 12

    static func analyse(_ board: Board, toMove: Stone, kind: PuzzleKind, ruleset: Ruleset, budget: inout NodeBudget) -> Puzzle? {
        guard kind.isAvailable(under: ruleset) else { return nil }
        var position = ThreatPosition(board: board, ruleset: ruleset)
        let ownFives = position.fivePoints(for: toMove)
        let opponentFives = position.fivePoints(for: toMove.opponent)
        switch kind {
        case .winInOne:
            guard ownFives.count == 1 else { return nil }
            let width = position.fourMoves(for: toMove).count + 1
            let text = "\(toMove.displayName) plays \(name(ownFives[0], board)) and completes five in a row."
            return make(kind, ruleset, board, toMove, answer: ownFives[0], solution: ownFives, length: 1, width: width,
                        difficulty: width > 4 ? 2 : 1, explanation: text)
        case .vcf, .fourThree:
            guard ownFives.isEmpty, opponentFives.isEmpty else { return nil }
            guard let win = uniqueVCF(board, attacker: toMove, ruleset: ruleset, budget: &budget) else { return nil }
            let shape = Rules.shape(of: win.move, for: toMove, on: board, ruleset: ruleset)
            let isFourThree = shape.fours == 1 && shape.threes >= 1 && win.result.attackerMoves == 3
            if kind == .fourThree {
                guard isFourThree else { return nil }
                let text = "\(toMove.displayName) plays \(name(win.move, board)), making a four and an open three; "
                    + describe(win.result.line, attacker: toMove, board: board, ruleset: ruleset, skippingFirst: true)
                return make(kind, ruleset, board, toMove, answer: win.move, solution: win.result.line, length: 3,
                            width: win.width, difficulty: win.width > 6 ? 3 : 2, explanation: text)
            }
            guard win.result.attackerMoves >= 2 else { return nil }
            let text = "\(toMove.displayName) wins by continuous fours. "
                + describe(win.result.line, attacker: toMove, board: board, ruleset: ruleset, skippingFirst: false)
            return make(kind, ruleset, board, toMove, answer: win.move, solution: win.result.line,
                        length: win.result.attackerMoves, width: win.width,
                        difficulty: vcfDifficulty(length: win.result.attackerMoves, width: win.width), explanation: text)
        case .defend:
            return defence(board, toMove: toMove, ruleset: ruleset, ownFives: ownFives, opponentFives: opponentFives, budget: &budget)
        case .forbidden:
            return forbiddenPoint(board, toMove: toMove, ownFives: ownFives, position: &position)
        }
    }

    /// The only first move of a VCF, with the number of forcing first moves to choose from.
    private static func uniqueVCF(_ board: Board, attacker: Stone, ruleset: Ruleset, budget: inout NodeBudget)
        -> (move: Point, result: ThreatSearchResult, width: Int)? {
        guard budget.remaining > 0 else { return nil }
        let solver = VCFSolver(ruleset: ruleset, maxDepth: maxVCFDepth, nodeLimit: min(budget.remaining, 60_000))
        // A cheap first look; most positions have no VCF at all.
        let quick = solver.solve(board, attacker: attacker)
        budget.spend(quick.nodes)
        guard quick.outcome == .win, budget.remaining > 0 else { return nil }
        let analysis = VCFSolver(ruleset: ruleset, maxDepth: maxVCFDepth, nodeLimit: min(budget.remaining, 60_000))
            .winningFirstMoves(board, attacker: attacker)
        budget.spend(analysis.nodes)
        guard let unique = analysis.uniqueWin else { return nil }
        return (unique.move, unique.result, analysis.candidates.count)
    }

    static func vcfDifficulty(length: Int, width: Int) -> Int {
        let base = switch length {
        case ...2: 1
        case 3: 2
        case 4...5: 3
        case 6...7: 4
        default: 5
        }
        return min(5, base + (width >= 8 ? 1 : 0))
    }

    /// The opponent threatens a VCF; exactly one move must stop all of them.
    private static func defence(_ board: Board, toMove: Stone, ruleset: Ruleset, ownFives: [Point], opponentFives: [Point],
                                budget: inout NodeBudget) -> Puzzle? {
        guard ownFives.isEmpty, opponentFives.isEmpty, budget.remaining > 0 else { return nil }
        let attacker = toMove.opponent
        let limit = 20_000
        let solver = VCFSolver(ruleset: ruleset, maxDepth: maxVCFDepth, nodeLimit: limit)
        // The side to move must have no win of its own, and the opponent a real threat.
        let own = solver.solve(board, attacker: toMove)
        budget.spend(own.nodes)
        guard own.outcome == .noWin else { return nil }
        let threat = solver.solve(board, attacker: attacker)
        budget.spend(threat.nodes)
        guard threat.outcome == .win, threat.attackerMoves >= 2 else { return nil }
        var position = ThreatPosition(board: board, ruleset: ruleset)
        var stops: [Point] = []
        var width = 0
        for point in board.emptyPoints where position.isAllowed(point, toMove) {
            guard budget.remaining > 0 else { return nil }
            position.play(point, toMove)
            let stillWins = position.replayWins(threat.line, attacker: attacker)
            budget.spend(threat.line.count)
            var answered = position.board
            answered[point] = toMove
            position.undo(point, toMove)
            if stillWins { continue }
            width += 1
            let after = solver.solve(answered, attacker: attacker)
            budget.spend(after.nodes)
            switch after.outcome {
            case .unknown: return nil
            case .win: continue
            case .noWin:
                stops.append(point)
                if stops.count > 1 { return nil }
            }
        }
        guard stops.count == 1 else { return nil }
        let answer = stops[0]
        let length = threat.attackerMoves
        let text = "\(attacker.displayName) threatens to win by continuous fours ("
            + threat.line.map { name($0, board) }.joined(separator: " ")
            + "). \(toMove.displayName) must play \(name(answer, board)): it is the only move after which no such win remains."
        let base = length <= 3 ? 2 : length <= 5 ? 3 : 4
        return make(.defend, ruleset, board, toMove, answer: answer, solution: [answer], length: length, width: width,
                    difficulty: min(5, base + (width >= 6 ? 1 : 0)), explanation: text)
    }

    /// Renju: Black to move with exactly one forbidden point on the board.
    private static func forbiddenPoint(_ board: Board, toMove: Stone, ownFives: [Point], position: inout ThreatPosition) -> Puzzle? {
        guard toMove == .black, ownFives.isEmpty else { return nil }
        let forbidden = Rules.forbiddenPoints(on: board)
        guard forbidden.count == 1, let only = forbidden.first else { return nil }
        // Decoys: allowed points that also make two threats at once (a four-three, say).
        var decoys = 0
        for point in board.emptyPoints where point != only.point {
            let shape = Rules.shape(of: point, for: .black, on: board, ruleset: .renju)
            if shape.forbidden == nil, shape.winningLine == nil, shape.fours + shape.threes >= 2 { decoys += 1 }
        }
        let base = switch only.reason {
        case .overline: 1
        case .doubleFour: 2
        case .doubleThree: 3
        }
        let difficulty = min(5, base + (decoys >= 1 ? 1 : 0) + (decoys >= 3 ? 1 : 0))
        let text = "\(name(only.point, board)) is forbidden for Black: it would make \(only.reason == .overline ? "an overline" : "a \(only.reason.rawValue)"). "
            + only.reason.explanation
        return make(.forbidden, .renju, board, toMove, answer: only.point, solution: [], length: 1, width: decoys + 1,
                    difficulty: difficulty, explanation: text)
    }

    // MARK: Building the value

    private static func make(_ kind: PuzzleKind, _ ruleset: Ruleset, _ board: Board, _ toMove: Stone, answer: Point, solution: [Point],
                             length: Int, width: Int, difficulty: Int, explanation: String) -> Puzzle {
        var stones: [PlacedStone] = []
        for point in board.points {
            if let stone = board[point] { stones.append(PlacedStone(point: point, stone: stone)) }
        }
        return Puzzle(kind: kind, ruleset: ruleset, boardSize: board.size, stones: stones, toMove: toMove, answer: answer,
                      solution: solution, length: length, width: width, difficulty: max(1, min(5, difficulty)),
                      canonicalKey: CanonicalPosition.key(of: board, toMove: toMove, ruleset: ruleset), explanation: explanation)
    }

    private static func name(_ point: Point, _ board: Board) -> String {
        board.notation(point) ?? "\(point)"
    }

    /// Words for a winning line: what each attacker move makes and where the defender answers.
    static func describe(_ line: [Point], attacker: Stone, board: Board, ruleset: Ruleset, skippingFirst: Bool) -> String {
        var board = board
        var sentences: [String] = []
        for (index, point) in line.enumerated() {
            guard board.contains(point), board[point] == nil else { break }
            let stone = index.isMultiple(of: 2) ? attacker : attacker.opponent
            if stone == attacker {
                let shape = Rules.shape(of: point, for: stone, on: board, ruleset: ruleset)
                let what: String
                if shape.winningLine != nil {
                    what = "completes five"
                } else if shape.fivePoints.count >= 2 {
                    what = shape.fours >= 2 ? "makes two fours" : "makes a straight four"
                } else if shape.threes >= 1 {
                    what = "makes a four and an open three"
                } else {
                    what = "makes a four"
                }
                if !(skippingFirst && index == 0) {
                    sentences.append("\(attacker.displayName) \(name(point, board)) \(what)")
                }
                board[point] = stone
                if index == line.count - 1, shape.winningLine == nil {
                    let blocks = Rules.shape(of: point, for: stone, on: { var b = board; b[point] = nil; return b }(), ruleset: ruleset).fivePoints
                    let names = blocks.map { name($0, board) }.joined(separator: " and ")
                    sentences.append("Black cannot block at \(names): it is forbidden for Black, so \(attacker.displayName) makes five next")
                }
            } else {
                sentences.append("\(stone.displayName) must block at \(name(point, board))")
                board[point] = stone
            }
        }
        return sentences.joined(separator: "; ") + "."
    }
}

/// Search positions still allowed for one generation request.
struct NodeBudget {
    var remaining: Int

    /// A heuristic move costs about as much time as this many search positions.
    static let costOfPlayoutMove = 40

    mutating func spend(_ nodes: Int) {
        remaining -= max(1, nodes)
    }
}
