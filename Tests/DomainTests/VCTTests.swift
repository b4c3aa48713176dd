import Domain
import Testing

/// Threat-sequence search: threes as well as fours, and never a wrong win.
@Suite struct VCTTests {
    static let doubleThree = """
        .......
        ...X...
        ...X...
        .XXa...
        .......
        .......
        """

    @Test func doubleThreeWinsByThreats() {
        let picture = Picture(Self.doubleThree)
        #expect(VCFSolver(ruleset: .freestyle).solve(picture.board, attacker: .black).outcome == .noWin)
        let result = VCTSolver(ruleset: .freestyle).solve(picture.board, attacker: .black)
        #expect(result.outcome == .win)
        #expect(result.attackerMoves == 3)
        #expect(result.firstMove == picture["a"])
    }

    @Test func renjuBlackMayNotWinThroughADoubleThree() {
        let picture = Picture(Self.doubleThree)
        let result = VCTSolver(ruleset: .renju).solve(picture.board, attacker: .black)
        #expect(result.firstMove != picture["a"])
        // White has no such restriction.
        let white = Picture(String(Self.doubleThree.map { $0 == "X" ? "O" : $0 }))
        #expect(VCTSolver(ruleset: .renju).solve(white.board, attacker: .white).firstMove == white["a"])
    }

    @Test func defenderCounterFoursRefuteTheDoubleThree() {
        // White's open three can become a straight four at once, which beats Black's threes.
        let picture = Picture(Self.doubleThree + "\n" + """
            ..........
            ......OOO.
            """)
        let result = VCTSolver(ruleset: .freestyle).solve(picture.board, attacker: .black)
        #expect(result.firstMove != picture["a"])
    }

    @Test func singleThreeIsNoWin() {
        let picture = Picture("""
            .......
            ..XX...
            .......
            """)
        let result = VCTSolver(ruleset: .standard, maxDepth: 5).solve(picture.board, attacker: .black)
        #expect(result.outcome == .noWin)
        #expect(result.isExhaustive)
    }

    @Test func fourThreeIsFoundByBothSolvers() {
        let picture = Picture("""
            .......
            ....X..
            ....X..
            OXXXa..
            .......
            .......
            """)
        for ruleset in Ruleset.allCases {
            #expect(VCTSolver(ruleset: ruleset).solve(picture.board, attacker: .black).attackerMoves == 3)
        }
    }

    @Test func nodeLimitGivesUnknown() {
        let picture = Picture(Self.doubleThree)
        let result = VCTSolver(ruleset: .freestyle, maxDepth: 7, nodeLimit: 3).solve(picture.board, attacker: .black)
        #expect(result.outcome == .unknown)
        #expect(result.line.isEmpty)
    }

    @Test func benchmarkPositionsHaveTheirKnownResults() {
        for result in EngineBenchmark.run(repetitions: 1) {
            #expect(result.matchesExpectation, "\(result.name): \(result.outcome) \(result.attackerMoves) \(result.firstMove ?? "-")")
            #expect(result.nodes > 0)
        }
    }
}
