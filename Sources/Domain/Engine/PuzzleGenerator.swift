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
    /// Search positions to spend in total (solver nodes, with playout moves and scans charged at
    /// their cost in nodes), which bounds the time taken: the default keeps a `count: 1` request
    /// to about half a second in a debug build, whether or not it finds a puzzle.
    public var nodeBudget: Int
    /// Random games to play out at most.
    public var maxPlayouts: Int

    public init(kind: PuzzleKind, ruleset: Ruleset, boardSize: Int = 15, count: Int = 5, difficulty: Int? = nil,
                seed: UInt64, nodeBudget: Int = 18_000, maxPlayouts: Int = 60) {
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
///
/// Besides the playout positions themselves, it looks at "missed chances": where the side that
/// just moved has a win by fours, the side to move plays its most natural move that does not stop
/// it, and the winner is then to move. Positions of a requested difficulty are sought where they
/// are likely (longer games and longer wins for harder puzzles) rather than filtered at random.
public enum PuzzleGenerator {
    /// Puzzles for the request, at most `count`, in the order found. Deterministic for a seed.
    public static func generate(_ request: PuzzleRequest) -> [Puzzle] {
        guard request.count > 0, request.kind.isAvailable(under: request.ruleset),
              Board.supportedSizes.contains(request.boardSize),
              (request.difficulty ?? 1) <= maxDifficulty(of: request.kind) else { return [] }
        var random = SplitMix64(seed: request.seed)
        var budget = NodeBudget(remaining: max(0, request.nodeBudget))
        var found: [Puzzle] = []
        var keys = Set<String>()
        let plan = SearchPlan(kind: request.kind, difficulty: request.difficulty)
        for _ in 0..<max(0, request.maxPlayouts) where found.count < request.count && budget.remaining > 0 {
            var playout = Playout(size: request.boardSize, ruleset: request.ruleset, random: SplitMix64(seed: random.next()))
            let length = plan.shortestGame + random.below(plan.longestGame - plan.shortestGame + 1)
            while playout.moveCount < length, budget.remaining > 0, found.count < request.count {
                guard playout.playHeuristicMove() else { break }
                budget.spend(NodeBudget.costOfPlayoutMove)
                guard playout.moveCount >= plan.firstAnalysedMove else { continue }
                for puzzle in candidates(from: playout, request: request, budget: &budget) {
                    if let wanted = request.difficulty, puzzle.difficulty != wanted { continue }
                    if keys.insert(puzzle.canonicalKey).inserted { found.append(puzzle) }
                    if found.count >= request.count { break }
                }
            }
        }
        return found
    }

    /// The hardest grade a kind can reach (see how each kind is graded in `analyse`).
    static func maxDifficulty(of kind: PuzzleKind) -> Int {
        switch kind {
        case .winInOne: 4
        case .fourThree: 3
        case .vcf, .defend, .forbidden: 5
        }
    }

    /// Which part of a game to look at for a kind and difficulty.
    struct SearchPlan {
        var shortestGame: Int
        var longestGame: Int
        var firstAnalysedMove: Int

        init(kind: PuzzleKind, difficulty: Int?) {
            let level = difficulty ?? 0
            switch (kind, level) {
            case (.fourThree, 3...): (shortestGame, longestGame, firstAnalysedMove) = (24, 50, 16)
            case (.vcf, 3...): (shortestGame, longestGame, firstAnalysedMove) = (30, 60, 14)
            case (.forbidden, 4...): (shortestGame, longestGame, firstAnalysedMove) = (30, 60, 20)
            case (.winInOne, 3...): (shortestGame, longestGame, firstAnalysedMove) = (20, 50, 12)
            default: (shortestGame, longestGame, firstAnalysedMove) = (8, 48, 6)
            }
        }
    }

    /// The puzzles of the request's kind around the playout's current position.
    private static func candidates(from playout: Playout, request: PuzzleRequest, budget: inout NodeBudget) -> [Puzzle] {
        let kind = request.kind
        let ruleset = request.ruleset
        let wanted = request.difficulty
        let mover = playout.toMove
        var result: [Puzzle] = []
        switch kind {
        case .winInOne:
            let level = wanted ?? 1
            budget.spend(NodeBudget.costOfPlayoutMove + NodeBudget.costOfScan)
            guard let board = playout.withUnansweredFour(preferBroken: level >= 2, counterFour: level >= 3) else { return [] }
            if let puzzle = analyse(board, toMove: mover, kind: kind, ruleset: ruleset, budget: &budget, wanted: wanted) {
                result.append(puzzle)
            }
        case .forbidden, .defend:
            if let puzzle = analyse(playout.board, toMove: mover, kind: kind, ruleset: ruleset, budget: &budget, wanted: wanted) {
                result.append(puzzle)
            }
        case .vcf, .fourThree:
            if let puzzle = analyse(playout.board, toMove: mover, kind: kind, ruleset: ruleset, budget: &budget, wanted: wanted) {
                result.append(puzzle)
            }
            // The side that just moved may have a win the side to move is about to overlook.
            if let missed = missedChance(playout, kind: kind, budget: &budget, wanted: wanted),
               let puzzle = analyse(missed, toMove: mover.opponent, kind: kind, ruleset: ruleset, budget: &budget, wanted: wanted) {
                result.append(puzzle)
            }
        }
        return result
    }

    /// The board after the side to move plays its most natural move that leaves the opponent's
    /// win by fours standing, or `nil` when the opponent has none (of a useful length) or every
    /// natural move stops it.
    private static func missedChance(_ playout: Playout, kind: PuzzleKind, budget: inout NodeBudget, wanted: Int?) -> Board? {
        let board = playout.board
        let ruleset = playout.ruleset
        let attacker = playout.toMove.opponent
        var position = ThreatPosition(board: board, ruleset: ruleset)
        budget.spend(NodeBudget.costOfScan)
        guard position.fivePoints(for: attacker).isEmpty, position.fivePoints(for: playout.toMove).isEmpty else { return nil }
        let fours = position.fourMoves(for: attacker)
        guard !fours.isEmpty else { return nil }
        if kind == .fourThree { budget.spend(fours.count) }
        if kind == .fourThree, !fours.contains(where: { isFourThreeShape($0, for: attacker, on: board, ruleset: ruleset) }) {
            return nil
        }
        let lengths: ClosedRange<Int> = kind == .fourThree ? 3...3 : wanted.map { vcfLengths(for: $0) } ?? 2...maxVCFDepth
        let solver = VCFSolver(ruleset: ruleset, maxDepth: lengths.upperBound, nodeLimit: min(max(1, budget.remaining), 20_000))
        let threat = solver.solve(board, attacker: attacker)
        budget.spend(threat.nodes + NodeBudget.costOfSearch)
        guard threat.outcome == .win, lengths.contains(threat.attackerMoves), threat.attackerMoves >= 2 else { return nil }
        budget.spend(NodeBudget.costOfPlayoutMove * 2)
        for move in playout.rankedMoves(limit: 6) where !threat.line.contains(move) {
            position.play(move, playout.toMove)
            let stillWins = position.replayWins(threat.line, attacker: attacker)
            position.undo(move, playout.toMove)
            budget.spend(NodeBudget.costOfReplay * threat.line.count)
            if stillWins {
                var result = board
                result[move] = playout.toMove
                return result
            }
        }
        return nil
    }

    /// The puzzle of `kind` this position makes with `toMove` to play, or `nil` when it has no
    /// single correct first move (or the check would need more than `nodeLimit` search positions).
    public static func puzzle(from board: Board, toMove: Stone, kind: PuzzleKind, ruleset: Ruleset, nodeLimit: Int = 200_000) -> Puzzle? {
        var budget = NodeBudget(remaining: nodeLimit)
        return analyse(board, toMove: toMove, kind: kind, ruleset: ruleset, budget: &budget)
    }

    // MARK: Checking a position

    static let maxVCFDepth = 12

    /// `wanted` only lets the check give up early on positions that cannot have that difficulty;
    /// a puzzle's difficulty never depends on it.
    static func analyse(_ board: Board, toMove: Stone, kind: PuzzleKind, ruleset: Ruleset, budget: inout NodeBudget,
                        wanted: Int? = nil) -> Puzzle? {
        guard kind.isAvailable(under: ruleset) else { return nil }
        var position = ThreatPosition(board: board, ruleset: ruleset)
        budget.spend(NodeBudget.costOfScan)
        let ownFives = position.fivePoints(for: toMove)
        let opponentFives = position.fivePoints(for: toMove.opponent)
        switch kind {
        case .winInOne:
            guard ownFives.count == 1 else { return nil }
            let five = ownFives[0]
            let width = position.fourMoves(for: toMove).count + 1
            let broken = isGap(five, of: toMove, on: board, with: nil)
            let difficulty = 1 + (broken ? 1 : 0) + (width >= 4 ? 1 : 0) + (opponentFives.isEmpty ? 0 : 1)
            var text = "\(toMove.displayName) plays \(name(five, board)) and completes five in a row"
            text += broken ? ", filling the gap." : "."
            if !opponentFives.isEmpty { text += " \(toMove.opponent.displayName)'s four does not matter: a five comes first." }
            return make(kind, ruleset, board, toMove, answer: five, solution: ownFives, length: 1, width: width,
                        difficulty: difficulty, explanation: text)
        case .vcf, .fourThree:
            guard ownFives.isEmpty, opponentFives.isEmpty else { return nil }
            let fours = position.fourMoves(for: toMove)
            guard !fours.isEmpty else { return nil }
            let fourThrees = kind == .fourThree ? fours.filter { isFourThreeShape($0, for: toMove, on: board, ruleset: ruleset) } : []
            if kind == .fourThree { budget.spend(fours.count) }
            if kind == .fourThree, fourThrees.isEmpty { return nil }
            let lengths: ClosedRange<Int> = kind == .fourThree ? 3...3 : wanted.map { vcfLengths(for: $0) } ?? 2...maxVCFDepth
            guard let win = uniqueVCF(board, attacker: toMove, ruleset: ruleset, lengths: lengths, budget: &budget) else { return nil }
            if kind == .fourThree {
                guard fourThrees.contains(win.move), win.result.attackerMoves == 3 else { return nil }
                // Plausible moves: every four and three; decoys: other moves that look like a four-three.
                // Obvious: at most one other four to weigh. Hidden: a false four-three or a crowd of threats.
                let plausible = fours.count + position.threeMoves(for: toMove).count
                let decoys = fourThrees.count - 1
                let difficulty = decoys > 0 || plausible >= 12 ? 3 : fours.count <= 2 && plausible <= 8 ? 1 : 2
                let text = "\(toMove.displayName) plays \(name(win.move, board)), making a four and an open three; "
                    + describe(win.result.line, attacker: toMove, board: board, ruleset: ruleset, skippingFirst: true)
                return make(kind, ruleset, board, toMove, answer: win.move, solution: win.result.line, length: 3,
                            width: plausible, difficulty: difficulty, explanation: text)
            }
            guard win.result.attackerMoves >= 2 else { return nil }
            let text = "\(toMove.displayName) wins by continuous fours. "
                + describe(win.result.line, attacker: toMove, board: board, ruleset: ruleset, skippingFirst: false)
            return make(kind, ruleset, board, toMove, answer: win.move, solution: win.result.line,
                        length: win.result.attackerMoves, width: win.width,
                        difficulty: vcfDifficulty(length: win.result.attackerMoves, width: win.width), explanation: text)
        case .defend:
            guard ownFives.isEmpty else { return nil }
            if !opponentFives.isEmpty {
                return blockTheFour(board, toMove: toMove, ruleset: ruleset, opponentFives: opponentFives, position: &position,
                                    budget: &budget, wanted: wanted)
            }
            return defence(board, toMove: toMove, ruleset: ruleset, position: &position, budget: &budget, wanted: wanted)
        case .forbidden:
            budget.spend(3 * NodeBudget.costOfScan)
            return forbiddenPoint(board, toMove: toMove, ownFives: ownFives, position: &position)
        }
    }

    /// Whether `stone` on the empty `point` makes a four and a three at once (an allowed move).
    static func isFourThreeShape(_ point: Point, for stone: Stone, on board: Board, ruleset: Ruleset) -> Bool {
        let shape = Rules.shape(of: point, for: stone, on: board, ruleset: ruleset)
        return shape.forbidden == nil && shape.winningLine == nil && shape.fours == 1 && shape.threes >= 1
    }

    /// Whether the empty `point` lies between two stones of `stone` on one line (a gap in a four),
    /// with `extra` counted as a stone of that colour.
    static func isGap(_ point: Point, of stone: Stone, on board: Board, with extra: Point?) -> Bool {
        func own(_ p: Point) -> Bool { p == extra || (board.contains(p) && board[p] == stone) }
        return lineDirections.contains { own(point.offset($0.row, $0.col, by: 1)) && own(point.offset($0.row, $0.col, by: -1)) }
    }

    /// The only first move of a VCF, with the number of forcing first moves to choose from;
    /// `nil` unless the shortest win has a length in `lengths` and no other first move wins.
    private static func uniqueVCF(_ board: Board, attacker: Stone, ruleset: Ruleset, lengths: ClosedRange<Int>,
                                  budget: inout NodeBudget) -> (move: Point, result: ThreatSearchResult, width: Int)? {
        guard budget.remaining > 0 else { return nil }
        let solver = VCFSolver(ruleset: ruleset, maxDepth: min(maxVCFDepth, lengths.upperBound), nodeLimit: min(budget.remaining, 20_000))
        // A cheap first look; most positions have no VCF at all.
        let quick = solver.solve(board, attacker: attacker)
        budget.spend(quick.nodes + NodeBudget.costOfSearch)
        guard quick.outcome == .win, lengths.contains(quick.attackerMoves), budget.remaining > 0 else { return nil }
        // Uniqueness is checked to the full depth, so no longer win hides behind another first move.
        let analysis = VCFSolver(ruleset: ruleset, maxDepth: maxVCFDepth, nodeLimit: min(budget.remaining, 40_000))
            .winningFirstMoves(board, attacker: attacker)
        budget.spend(analysis.nodes + NodeBudget.costOfSearch)
        guard let unique = analysis.uniqueWin else { return nil }
        return (unique.move, unique.result, analysis.candidates.count)
    }

    /// VCF lengths that can give a puzzle of `difficulty` (see `vcfDifficulty`).
    static func vcfLengths(for difficulty: Int) -> ClosedRange<Int> {
        switch difficulty {
        case ...1: 2...2
        case 2: 2...3
        case 3: 3...5
        case 4: 4...7
        default: 6...maxVCFDepth
        }
    }

    static func vcfDifficulty(length: Int, width: Int) -> Int {
        let base = switch length {
        case ...2: 1
        case 3: 2
        case 4...5: 3
        case 6...7: 4
        default: 5
        }
        return min(5, base + (width >= 6 ? 1 : 0))
    }

    /// The opponent has a four: the only block must be found, and after it nothing else may win.
    private static func blockTheFour(_ board: Board, toMove: Stone, ruleset: Ruleset, opponentFives: [Point],
                                     position: inout ThreatPosition, budget: inout NodeBudget, wanted: Int?) -> Puzzle? {
        if let wanted, wanted > 2 { return nil }
        let attacker = toMove.opponent
        let blocks = position.defences(against: opponentFives, of: attacker).filter { position.isAllowed($0, toMove) }
        guard blocks.count == 1 else { return nil }
        let answer = blocks[0]
        // The opponent's four, with the stones on its line, tells how well hidden it is.
        let broken = opponentFives.contains { isGap($0, of: attacker, on: board, with: nil) }
        let difficulty = broken ? 2 : 1
        if let wanted, wanted != difficulty { return nil }
        let solver = VCFSolver(ruleset: ruleset, maxDepth: maxVCFDepth, nodeLimit: min(max(1, budget.remaining), 20_000))
        // A block that is also a winning four would make this an attacking puzzle.
        let own = solver.solve(board, attacker: toMove)
        budget.spend(own.nodes + NodeBudget.costOfSearch)
        guard own.outcome == .noWin else { return nil }
        var answered = board
        answered[answer] = toMove
        let after = solver.solve(answered, attacker: attacker)
        budget.spend(after.nodes + NodeBudget.costOfSearch)
        guard after.outcome == .noWin else { return nil }
        let text = "\(attacker.displayName) has a four\(broken ? " with a gap" : "") and threatens five at \(name(opponentFives[0], board)). "
            + "\(toMove.displayName) must block at \(name(answer, board)); every other move loses at once."
        return make(.defend, ruleset, board, toMove, answer: answer, solution: [answer], length: 1, width: 1,
                    difficulty: difficulty, explanation: text)
    }

    /// VCF lengths of the opponent's threat that can give a defence puzzle of `difficulty`.
    static func defenceLengths(for difficulty: Int) -> ClosedRange<Int> {
        switch difficulty {
        case ...1: 0...0
        case 2: 2...3
        case 3: 2...5
        case 4: 4...7
        default: 6...maxVCFDepth
        }
    }

    /// The opponent threatens a VCF (without a four on the board yet); exactly one move must
    /// leave it without one. A move counts as a defence when the opponent, to move after it, has
    /// no VCF within `maxVCFDepth`; counter-fours are moves like any other (if one also leaves no
    /// VCF, the position has two answers and is dropped).
    private static func defence(_ board: Board, toMove: Stone, ruleset: Ruleset, position: inout ThreatPosition,
                                budget: inout NodeBudget, wanted: Int?) -> Puzzle? {
        guard budget.remaining > 0 else { return nil }
        let attacker = toMove.opponent
        let lengths = wanted.map { defenceLengths(for: $0) } ?? 2...maxVCFDepth
        guard !lengths.isEmpty, lengths.upperBound >= 2 else { return nil }
        // Without a four or a five point the opponent has no VCF at all.
        guard !position.fourMoves(for: attacker).isEmpty else { return nil }
        let solver = VCFSolver(ruleset: ruleset, maxDepth: maxVCFDepth, nodeLimit: min(budget.remaining, 20_000))
        let threat = solver.solve(board, attacker: attacker)
        budget.spend(threat.nodes + NodeBudget.costOfSearch)
        guard threat.outcome == .win, lengths.contains(threat.attackerMoves) else { return nil }
        // The side to move must have no win of its own.
        let own = solver.solve(board, attacker: toMove)
        budget.spend(own.nodes + NodeBudget.costOfSearch)
        guard own.outcome == .noWin else { return nil }
        // Replaying the threat proves a move does not stop it; the proof needs the line to replay as it is.
        budget.spend(NodeBudget.costOfReplay * threat.line.count)
        guard position.replayWins(threat.line, attacker: attacker) else { return nil }
        let candidates = defenceCandidates(threat.line, toMove: toMove, position: &position)
        var stops: [Point] = []
        var width = 0
        for point in candidates {
            guard budget.remaining > 0 else { return nil }
            position.play(point, toMove)
            let stillWins = position.replayWins(threat.line, attacker: attacker)
            position.undo(point, toMove)
            budget.spend(NodeBudget.costOfReplay * threat.line.count)
            if stillWins { continue }
            width += 1
            var answered = board
            answered[point] = toMove
            let after = solver.solve(answered, attacker: attacker)
            budget.spend(after.nodes + NodeBudget.costOfSearch)
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
        let onLine = threat.line.enumerated().contains { $0.offset.isMultiple(of: 2) && $0.element == answer }
        let difficulty = defenceDifficulty(length: length, onLine: onLine, width: width)
        if let wanted, wanted != difficulty { return nil }
        let text = "\(attacker.displayName) threatens to win by continuous fours ("
            + threat.line.map { name($0, board) }.joined(separator: " ")
            + "). \(toMove.displayName) must play \(name(answer, board)): it is the only move after which no such win remains."
        return make(.defend, ruleset, board, toMove, answer: answer, solution: [answer], length: length, width: width,
                    difficulty: difficulty, explanation: text)
    }

    static func defenceDifficulty(length: Int, onLine: Bool, width: Int) -> Int {
        let base = switch length {
        case ...3: 2
        case 4...5: 3
        case 6...7: 4
        default: 5
        }
        return min(5, base + (onLine ? 0 : 1))
    }

    /// The moves that could stop the threat `line`, most likely first. Outside renju a stone can
    /// change the replay of the line only on the lines through its points (within six, which covers
    /// every five, overline and caro end check) or by making a four of its own; everything else is
    /// proven harmless by the unchanged replay. Renju's forbidden points reach further, so there
    /// every empty point is tried.
    private static func defenceCandidates(_ line: [Point], toMove: Stone, position: inout ThreatPosition) -> [Point] {
        var result: [Point] = []
        var seen = Set<Point>()
        func add(_ point: Point) {
            if position.isEmpty(point), seen.insert(point).inserted, position.isAllowed(point, toMove) { result.append(point) }
        }
        for (index, point) in line.enumerated() where index.isMultiple(of: 2) { add(point) }
        for point in position.fourMoves(for: toMove) { add(point) }
        if position.ruleset.hasForbiddenMoves {
            for point in position.board.emptyPoints { add(point) }
        } else {
            for point in line {
                for near in position.lineNeighbourhood(of: point, reach: 6) { add(near) }
            }
        }
        return result
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
    static let costOfPlayoutMove = 14
    /// Setting up a search (board copy, tables, first scans) costs about this many positions.
    static let costOfSearch = 4
    /// Looking a position over (its fives and fours) costs about this many positions.
    static let costOfScan = 6
    /// Replaying a threat line, per move of the line.
    static let costOfReplay = 2

    mutating func spend(_ nodes: Int) {
        remaining -= max(1, nodes)
    }
}
