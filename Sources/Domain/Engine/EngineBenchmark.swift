/// One position of the engine benchmark with its known answer.
public struct EngineBenchmarkPosition: Sendable, Hashable {
    /// Which solver the position exercises.
    public enum Search: String, Sendable, Hashable {
        case vcf, vct
    }

    public var name: String
    public var ruleset: Ruleset
    public var boardSize: Int
    /// Stones in notation ("h8").
    public var black: [String]
    public var white: [String]
    public var attacker: Stone
    public var search: Search
    /// Attacker moves of the shortest win (counting the five), or `nil` when there is none.
    public var expectedAttackerMoves: Int?
    /// The first move of the expected win, when it is the only one.
    public var expectedFirstMove: String?

    public init(name: String, ruleset: Ruleset, boardSize: Int = 15, black: [String], white: [String], attacker: Stone,
                search: Search, expectedAttackerMoves: Int?, expectedFirstMove: String?) {
        self.name = name
        self.ruleset = ruleset
        self.boardSize = boardSize
        self.black = black
        self.white = white
        self.attacker = attacker
        self.search = search
        self.expectedAttackerMoves = expectedAttackerMoves
        self.expectedFirstMove = expectedFirstMove
    }

    /// The position, or `nil` if the size or a point is not valid.
    public func board() -> Board? {
        guard var board = try? Board(size: boardSize) else { return nil }
        for (notations, stone) in [(black, Stone.black), (white, Stone.white)] {
            for notation in notations {
                guard let point = try? board.point(notation), board[point] == nil else { return nil }
                board[point] = stone
            }
        }
        return board
    }
}

/// A fixed set of solver positions for timing (`make bench`) and regression checks.
/// The long wins come from generated puzzles; their answers were checked by re-solving every first move.
public enum EngineBenchmarkPositions {
    public static let all: [EngineBenchmarkPosition] = [
        EngineBenchmarkPosition(
            name: "freestyle VCF in 5 (White)", ruleset: .freestyle,
            black: split("i11 j11 g10 g9 i9 f8 h8 i8 k8 l8 h7 i7 k7 j6 i5"),
            white: split("f10 h10 i10 h9 m9 g8 j8 g7 j7 h6 i6 k5 h4 i4"),
            attacker: .white, search: .vcf, expectedAttackerMoves: 5, expectedFirstMove: "e6"),
        EngineBenchmarkPosition(
            name: "standard VCF in 6 (Black)", ruleset: .standard,
            black: split("f11 f9 g9 i9 g8 h8 j8 f7 g7 j7 g6 i6 h5 e3 f2"),
            white: split("k11 g10 h9 e8 i8 k8 h7 i7 f6 h6 f5 g5 f4 i4 f3"),
            attacker: .black, search: .vcf, expectedAttackerMoves: 6, expectedFirstMove: "f10"),
        EngineBenchmarkPosition(
            name: "renju VCF in 6 (Black)", ruleset: .renju,
            black: split("f11 f9 g9 i9 g8 h8 j8 f7 g7 j7 g6 i6 h5 e3 f2"),
            white: split("k11 g10 h9 e8 i8 k8 h7 i7 f6 h6 f5 g5 f4 i4 f3"),
            attacker: .black, search: .vcf, expectedAttackerMoves: 6, expectedFirstMove: "f10"),
        EngineBenchmarkPosition(
            name: "renju VCF in 7 (White)", ruleset: .renju,
            black: split("g13 h12 d11 i11 h10 j10 f9 g9 j9 e8 g8 h8 c7 g7 h7 h6 h5"),
            white: split("f14 j12 g11 h11 e10 f10 e9 h9 i9 k9 d8 f8 e7 g6 i6 h4"),
            attacker: .white, search: .vcf, expectedAttackerMoves: 7, expectedFirstMove: "f6"),
        EngineBenchmarkPosition(
            name: "renju VCF in 9 (White)", ruleset: .renju,
            black: split("g10 h10 h9 j9 k9 m9 h8 i8 k8 l7 k6 l6 m6 l5 h4 j4"),
            white: split("f11 h11 i10 g9 i9 j8 l8 j7 k7 h6 j6 i5 j5 k5 n5"),
            attacker: .white, search: .vcf, expectedAttackerMoves: 9, expectedFirstMove: "g5"),
        EngineBenchmarkPosition(
            name: "caro VCF in 7 (White)", ruleset: .caro,
            black: split("k13 e11 f11 i11 j11 c10 h10 j10 k10 l10 g9 i9 j9 d8 f8 h8 j8 i7 j7 k7 e6 h6"),
            white: split("j12 l12 g11 m11 d10 e10 f10 g10 i10 n10 e9 h9 k9 e8 i8 e7 g7 l7 j6 l6 g5"),
            attacker: .white, search: .vcf, expectedAttackerMoves: 7, expectedFirstMove: "h12"),
        EngineBenchmarkPosition(
            name: "freestyle no VCF (Black, refutation)", ruleset: .freestyle,
            black: split("i11 j11 g10 g9 i9 f8 h8 i8 k8 l8 h7 i7 k7 j6 i5"),
            white: split("f10 h10 i10 h9 m9 g8 j8 g7 j7 h6 i6 k5 h4 i4 e6"),
            attacker: .black, search: .vcf, expectedAttackerMoves: nil, expectedFirstMove: nil),
        EngineBenchmarkPosition(
            name: "freestyle VCT (White, threes allowed)", ruleset: .freestyle,
            black: split("h8 i9 g7 j8"),
            white: split("h9 h7 i8"),
            attacker: .white, search: .vct, expectedAttackerMoves: nil, expectedFirstMove: nil),
    ]

    private static func split(_ text: String) -> [String] {
        text.split(separator: " ").map(String.init)
    }
}

/// The measured run of one benchmark position.
public struct EngineBenchmarkResult: Sendable, Hashable {
    public var name: String
    public var outcome: ThreatSearchOutcome
    public var attackerMoves: Int
    public var firstMove: String?
    public var nodes: Int
    /// Wall time of one solve (the fastest of the repetitions).
    public var elapsed: Duration
    /// Whether the outcome, length and first move agree with the position's known answer.
    public var matchesExpectation: Bool

    /// Search positions per second.
    public var nodesPerSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(nodes) / seconds : 0
    }
}

/// Times the solvers on the benchmark positions.
public enum EngineBenchmark {
    /// Solves every position `repetitions` times and reports the fastest time of each.
    public static func run(_ positions: [EngineBenchmarkPosition] = EngineBenchmarkPositions.all, repetitions: Int = 3) -> [EngineBenchmarkResult] {
        let clock = ContinuousClock()
        return positions.map { position in
            guard let board = position.board() else {
                return EngineBenchmarkResult(name: position.name, outcome: .unknown, attackerMoves: 0, firstMove: nil, nodes: 0,
                                             elapsed: .zero, matchesExpectation: false)
            }
            var best: Duration?
            var result = ThreatSearchResult(outcome: .unknown, line: [], attackerMoves: 0, nodes: 0, depthSearched: 0)
            for _ in 0..<max(1, repetitions) {
                let start = clock.now
                switch position.search {
                case .vcf: result = VCFSolver(ruleset: position.ruleset).solve(board, attacker: position.attacker)
                case .vct: result = VCTSolver(ruleset: position.ruleset).solve(board, attacker: position.attacker)
                }
                let elapsed = clock.now - start
                if let fastest = best, fastest <= elapsed { continue }
                best = elapsed
            }
            let firstMove = result.firstMove.flatMap { board.notation($0) }
            let expectedOutcome: ThreatSearchOutcome = position.expectedAttackerMoves == nil ? .noWin : .win
            let matches = result.outcome == expectedOutcome
                && (position.expectedAttackerMoves == nil || result.attackerMoves == position.expectedAttackerMoves)
                && (position.expectedFirstMove == nil || firstMove == position.expectedFirstMove)
            return EngineBenchmarkResult(name: position.name, outcome: result.outcome, attackerMoves: result.attackerMoves,
                                         firstMove: firstMove, nodes: result.nodes, elapsed: best ?? .zero, matchesExpectation: matches)
        }
    }
}
