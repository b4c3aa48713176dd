import Domain
import Testing

/// VCF positions built by hand. Marks name the moves the solution must use.
@Suite struct VCFTests {
    /// Black's four-step staircase: each four (a, b, c) is blocked at its five point and leaves a
    /// closed three for the next, until d makes two fours. Shortest: a b c d + five = 5 moves.
    static let staircase = """
        ....O.....
        OXXXa.....
        ....X.....
        ....XO.O..
        ...ObXXc.O
        ......OX..
        .......X..
        ...OXXXd..
        ....O.....
        .......O..
        """

    private func solve(_ picture: Picture, _ attacker: Stone = .black, _ ruleset: Ruleset = .freestyle, maxDepth: Int = 12) -> ThreatSearchResult {
        VCFSolver(ruleset: ruleset, maxDepth: maxDepth).solve(picture.board, attacker: attacker)
    }

    /// Replays a winning line on the board and checks it ends in a win for the attacker.
    private func lineWins(_ result: ThreatSearchResult, on board: Board, attacker: Stone, ruleset: Ruleset) -> Bool {
        var board = board
        var stone = attacker
        for (index, point) in result.line.enumerated() {
            guard board.contains(point), board[point] == nil else { return false }
            if index == result.line.count - 1, stone == attacker {
                if case .win = Rules.evaluate(point, for: stone, on: board, ruleset: ruleset) { return true }
                // A four whose five points Black may not block also ends a line (renju).
                board[point] = stone
                return Rules.shape(of: point, for: stone, on: { var b = board; b[point] = nil; return b }(), ruleset: ruleset)
                    .fivePoints.allSatisfy { Rules.forbiddenReason(at: $0, on: board) != nil }
            }
            if case .forbidden = Rules.evaluate(point, for: stone, on: board, ruleset: ruleset) { return false }
            board[point] = stone
            stone = stone.opponent
        }
        return false
    }

    @Test func fiveIsAWinInOne() {
        let picture = Picture("OXXXXa")
        let result = solve(picture)
        #expect(result.outcome == .win)
        #expect(result.line == [picture["a"]])
        #expect(result.attackerMoves == 1)
    }

    @Test func straightFourWinsInTwo() {
        let picture = Picture(".b.XXXa.")
        let result = solve(picture)
        #expect(result.outcome == .win)
        #expect(result.attackerMoves == 2)
        #expect(result.line.count == 3)
        #expect(lineWins(result, on: picture.board, attacker: .black, ruleset: .freestyle))
    }

    @Test func fourThreeWinsInThree() {
        let picture = Picture("""
            .......
            ....X..
            ....X..
            OXXXa..
            .......
            .......
            """)
        for ruleset in Ruleset.allCases {
            let result = solve(picture, .black, ruleset)
            #expect(result.outcome == .win, "\(ruleset)")
            #expect(result.attackerMoves == 3, "\(ruleset)")
            #expect(result.firstMove == picture["a"], "\(ruleset)")
            #expect(lineWins(result, on: picture.board, attacker: .black, ruleset: ruleset), "\(ruleset)")
        }
    }

    @Test func staircaseIsAWinInFive() {
        let picture = Picture(Self.staircase, top: 2, left: 2)
        for ruleset in [Ruleset.freestyle, .standard] {
            let result = solve(picture, .black, ruleset)
            #expect(result.outcome == .win)
            #expect(result.attackerMoves == 5)
            #expect(result.line.count == 9)
            #expect([picture["a"], picture["d"]].contains(result.firstMove ?? Point(row: -1, col: -1)))
            #expect(lineWins(result, on: picture.board, attacker: .black, ruleset: ruleset))
        }
        let tooShallow = solve(picture, maxDepth: 4)
        #expect(tooShallow.outcome == .noWin)
        #expect(tooShallow.depthSearched == 4)
    }

    @Test func renjuRefusesTheStaircaseDoubleFourAndFindsALongerLegalWin() {
        let picture = Picture(Self.staircase, top: 2, left: 2)
        let result = solve(picture, .black, .renju)
        #expect(result.outcome == .win)
        #expect(result.attackerMoves == 7)
        #expect(lineWins(result, on: picture.board, attacker: .black, ruleset: .renju), "no move of the line is forbidden")
    }

    @Test func doubleFourWinsExceptForRenjuBlack() {
        let picture = Picture("""
            ....O
            ....X
            ....X
            ....X
            OXXXp
            """)
        #expect(solve(picture, .black, .freestyle).firstMove == picture["p"])
        #expect(solve(picture, .black, .caro).attackerMoves == 2)
        #expect(picture.forbidden("p") == .doubleFour)
        #expect(solve(picture, .black, .renju).outcome == .noWin)
    }

    @Test func quietPositionHasNoVCF() {
        let picture = Picture("""
            .X...O.
            ...X...
            .O.X.X.
            ...O...
            """)
        for ruleset in Ruleset.allCases {
            let result = solve(picture, .black, ruleset)
            #expect(result.outcome == .noWin)
            #expect(result.line.isEmpty)
            #expect(result.isExhaustive)
        }
    }

    @Test func defendersFiveInterrupts() {
        // Black's open three would win in two, but White already has a four.
        let picture = Picture("""
            .XXX....
            ........
            ....OOOOa
            """)
        #expect(solve(picture).outcome == .noWin)
        // With the same white four, a black five still comes first.
        let five = Picture("""
            OXXXXa..
            ........
            ....OOOO.
            """)
        #expect(solve(five).line == [five["a"]])
    }

    @Test func blockingTheDefendersFourWithAFourKeepsTheVCF() {
        // a blocks White's four and makes Black's four-three at the same time.
        let picture = Picture("""
            ..X....
            ...X...
            OXXXa..
            ....O..
            ....O..
            ....O..
            ....O..
            ....X..
            """, top: 1)
        let result = solve(picture)
        #expect(result.outcome == .win)
        #expect(result.firstMove == picture["a"])
    }

    @Test func defendersForcedBlockThatMakesAFourStopsTheVCF() {
        // Black's four-three at a is blocked at b, which gives White a four in the column (b over OOO):
        // Black must answer at c, which is no four, so the straight four in a's column never comes.
        let picture = Picture("""
            ......c..
            .OXXXab..
            .....XO..
            .....XO..
            ......O..
            ......X..
            .........
            """, top: 2)
        let result = solve(picture)
        #expect(result.outcome == .noWin || result.firstMove != picture["a"])
    }

    @Test func whiteWinsThroughAPointBlackMayNotPlay() {
        // White's four at w has its five point f, which is an overline for Black.
        let picture = Picture("""
            ...X...
            ...w...
            ...O...
            ...O...
            ...O...
            XXXfXX.
            """, left: 4)
        #expect(Rules.forbiddenReason(at: picture["f"], on: picture.board) == .overline)
        let result = solve(picture, .white, .renju)
        #expect(result.outcome == .win)
        #expect(result.line == [picture["w"]], "Black has no legal answer, so the line ends with the four")
        #expect(result.attackerMoves == 2)
        #expect(lineWins(result, on: picture.board, attacker: .white, ruleset: .renju))
    }

    @Test func blackFiveThatIsAlsoAForbiddenShapeStillWins() {
        // a makes five in the row and an overline in the column: a five is never forbidden.
        let picture = Picture("""
            .....X.
            .....X.
            OXXXXa.
            .....X.
            .....X.
            .....X.
            """)
        #expect(picture.evaluate("a") == .win(line: (4...8).map { Point(row: 5, col: $0) }))
        let result = solve(picture, .black, .renju)
        #expect(result.line == [picture["a"]])
    }

    @Test func overlineIsNoWinUnderStandardRules() {
        let picture = Picture("OXXaXXXO")
        #expect(solve(picture, .black, .freestyle).line == [picture["a"]])
        #expect(solve(picture, .black, .standard).outcome == .noWin)
        #expect(solve(picture, .black, .renju).outcome == .noWin)
        #expect(solve(Picture("XOOaOOOX"), .white, .renju).attackerMoves == 1, "White's overline wins")
    }

    @Test func caroCanStopAStraightFourByClosingAnEnd() {
        // O.XXXa.O: the four at a has two five points, but one white stone closes both fives in caro.
        let picture = Picture("O.XXXa.O")
        #expect(solve(picture, .black, .freestyle).firstMove == picture["a"])
        #expect(solve(picture, .black, .standard).attackerMoves == 2)
        #expect(solve(picture, .black, .caro).outcome == .noWin)
        #expect(solve(Picture("OXXXXaO"), .black, .caro).outcome == .noWin, "a five closed at both ends does not win")
    }

    @Test func nodeLimitGivesUnknownNotAWrongAnswer() {
        let picture = Picture(Self.staircase, top: 2, left: 2)
        let result = VCFSolver(ruleset: .freestyle, maxDepth: 12, nodeLimit: 5).solve(picture.board, attacker: .black)
        #expect(result.outcome == .unknown)
        #expect(!result.isExhaustive)
    }

    @Test func solverNeverTrapsOnEmptyOrFullBoards() throws {
        let empty = try Board(size: 19)
        var full = try Board(size: 15)
        for point in full.points { full[point] = (point.row + point.col / 2).isMultiple(of: 2) ? .black : .white }
        for ruleset in Ruleset.allCases {
            for board in [empty, full] {
                #expect(VCFSolver(ruleset: ruleset).solve(board, attacker: .white).outcome == .noWin)
                #expect(VCTSolver(ruleset: ruleset).solve(board, attacker: .black).outcome == .noWin)
                #expect(VCFSolver(ruleset: ruleset).solve(board, attacker: .black, startingWith: Point(row: 99, col: 0)).outcome == .noWin)
            }
        }
    }

    @Test func firstMoveAnalysisListsEveryWinningStart() {
        let picture = Picture(Self.staircase, top: 2, left: 2)
        let analysis = VCFSolver(ruleset: .freestyle).winningFirstMoves(picture.board, attacker: .black)
        #expect(analysis.isExhaustive)
        #expect(analysis.uniqueWin == nil)
        #expect(analysis.wins.filter { $0.result.attackerMoves == 5 }.map(\.move) == [picture["a"], picture["d"]].sorted())
        let fourThree = Picture("""
            .......
            ....X..
            ....X..
            OXXXa..
            .......
            .......
            """)
        let single = VCFSolver(ruleset: .renju).winningFirstMoves(fourThree.board, attacker: .black)
        #expect(single.uniqueWin?.move == fourThree["a"])
        #expect(single.uniqueWin?.result.attackerMoves == 3)
    }
}
