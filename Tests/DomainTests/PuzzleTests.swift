import Domain
import Testing

/// Generated puzzles: one correct answer, reproducible, no duplicates up to symmetry.
@Suite struct PuzzleTests {
    private func generate(_ kind: PuzzleKind, _ ruleset: Ruleset, seed: UInt64 = 42, count: Int = 3, difficulty: Int? = nil,
                          budget: Int = 40_000) -> [Puzzle] {
        PuzzleGenerator.generate(PuzzleRequest(kind: kind, ruleset: ruleset, count: count, difficulty: difficulty, seed: seed,
                                               nodeBudget: budget, maxPlayouts: 200))
    }

    @Test(arguments: Ruleset.allCases)
    func vcfPuzzlesHaveExactlyOneWinningFirstMove(ruleset: Ruleset) {
        let puzzles = generate(.vcf, ruleset)
        #expect(!puzzles.isEmpty)
        for puzzle in puzzles {
            let board = puzzle.board
            let solver = VCFSolver(ruleset: ruleset)
            let best = solver.solve(board, attacker: puzzle.toMove)
            #expect(best.firstMove == puzzle.answer)
            #expect(best.attackerMoves == puzzle.length)
            #expect(puzzle.solution.first == puzzle.answer)
            let analysis = solver.winningFirstMoves(board, attacker: puzzle.toMove)
            #expect(analysis.isExhaustive)
            for other in analysis.candidates where other != puzzle.answer {
                #expect(solver.solve(board, attacker: puzzle.toMove, startingWith: other).outcome == .noWin)
            }
            #expect((1...5).contains(puzzle.difficulty))
            #expect(!puzzle.explanation.isEmpty)
        }
    }

    @Test func winInOnePuzzlesHaveOneFivePoint() {
        for puzzle in generate(.winInOne, .standard) {
            let board = puzzle.board
            #expect(Rules.winningLine(through: puzzle.answer, on: { var b = board; b[puzzle.answer] = puzzle.toMove; return b }(), ruleset: .standard) != nil)
            let fives = board.emptyPoints.filter {
                if case .win = Rules.evaluate($0, for: puzzle.toMove, on: board, ruleset: .standard) { return true }
                return false
            }
            #expect(fives == [puzzle.answer])
        }
    }

    @Test func defendPuzzlesHaveOneStoppingMove() {
        let puzzles = generate(.defend, .freestyle, count: 1, budget: 150_000)
        #expect(!puzzles.isEmpty)
        let solver = VCFSolver(ruleset: .freestyle)
        for puzzle in puzzles {
            var board = puzzle.board
            let attacker = puzzle.toMove.opponent
            #expect(solver.solve(board, attacker: attacker).outcome == .win, "the threat is real")
            for point in board.emptyPoints {
                var answered = board
                answered[point] = puzzle.toMove
                let stops = solver.solve(answered, attacker: attacker).outcome == .noWin
                #expect(stops == (point == puzzle.answer), "\(point)")
            }
            board[puzzle.answer] = puzzle.toMove
        }
    }

    @Test func fourThreePuzzlesMakeAFourAndAThree() {
        let puzzles = generate(.fourThree, .renju, count: 1, budget: 300_000)
        #expect(!puzzles.isEmpty)
        for puzzle in puzzles {
            let shape = Rules.shape(of: puzzle.answer, for: puzzle.toMove, on: puzzle.board, ruleset: .renju)
            #expect(shape.fours == 1 && shape.threes >= 1)
            #expect(shape.forbidden == nil)
            #expect(puzzle.length == 3)
        }
    }

    @Test func forbiddenPuzzlesHaveOneForbiddenPoint() {
        let puzzles = generate(.forbidden, .renju)
        #expect(!puzzles.isEmpty)
        for puzzle in puzzles {
            #expect(puzzle.toMove == .black)
            #expect(Rules.forbiddenPoints(on: puzzle.board).map(\.point) == [puzzle.answer])
        }
        #expect(generate(.forbidden, .freestyle).isEmpty, "only renju has forbidden points")
    }

    @Test func sameSeedSamepuzzlesOtherSeedOtherPuzzles() {
        let first = generate(.vcf, .renju, seed: 7)
        let again = generate(.vcf, .renju, seed: 7)
        #expect(first == again)
        #expect(first.map(\.canonicalKey) != generate(.vcf, .renju, seed: 8).map(\.canonicalKey))
    }

    @Test func difficultyFilterIsRespected() {
        for puzzle in generate(.vcf, .freestyle, count: 2, difficulty: 1) {
            #expect(puzzle.difficulty == 1)
        }
    }

    @Test func generatedPuzzlesAreDistinctUpToSymmetry() {
        let puzzles = generate(.winInOne, .freestyle, count: 8)
        #expect(Set(puzzles.map(\.canonicalKey)).count == puzzles.count)
    }

    @Test func canonicalKeyIsTheSameUnderEverySymmetry() {
        let picture = Picture("""
            .XO..
            ..X..
            ...XO
            """, top: 1, left: 2)
        let key = CanonicalPosition.key(of: picture.board, toMove: .white, ruleset: .caro)
        for symmetry in BoardSymmetry.allCases {
            let image = symmetry.apply(to: picture.board)
            #expect(CanonicalPosition.key(of: image, toMove: .white, ruleset: .caro) == key)
            #expect(symmetry.inverse.apply(to: image) == picture.board)
            #expect(image.stoneCount == picture.board.stoneCount)
        }
        #expect(CanonicalPosition.key(of: picture.board, toMove: .black, ruleset: .caro) != key)
        #expect(CanonicalPosition.key(of: picture.board, toMove: .white, ruleset: .renju) != key)
        var moved = picture.board
        moved[Point(row: 0, col: 0)] = .black
        #expect(CanonicalPosition.key(of: moved, toMove: .white, ruleset: .caro) != key)
    }

    @Test func puzzleFromAHandMadePosition() {
        let picture = Picture("""
            .......
            ....X..
            ....X..
            OXXXa..
            .......
            .......
            """)
        let puzzle = PuzzleGenerator.puzzle(from: picture.board, toMove: .black, kind: .fourThree, ruleset: .freestyle)
        #expect(puzzle?.answer == picture["a"])
        #expect(puzzle?.explanation.hasPrefix("Black plays") == true)
        #expect(PuzzleGenerator.puzzle(from: picture.board, toMove: .black, kind: .winInOne, ruleset: .freestyle) == nil)
    }

    @Test func impossibleRequestsReturnNothingQuickly() {
        #expect(PuzzleGenerator.generate(PuzzleRequest(kind: .vcf, ruleset: .renju, boardSize: 13, seed: 1)).isEmpty)
        #expect(PuzzleGenerator.generate(PuzzleRequest(kind: .vcf, ruleset: .renju, count: 0, seed: 1)).isEmpty)
        #expect(PuzzleGenerator.generate(PuzzleRequest(kind: .vcf, ruleset: .renju, seed: 1, nodeBudget: 0)).isEmpty)
        let few = PuzzleGenerator.generate(PuzzleRequest(kind: .vcf, ruleset: .caro, count: 50, difficulty: 5, seed: 3, nodeBudget: 5_000))
        #expect(few.count < 50)
    }

    @Test func splitMixIsDeterministic() {
        var a = SplitMix64(seed: 99)
        var b = SplitMix64(seed: 99)
        #expect((0..<5).map { _ in a.next() } == (0..<5).map { _ in b.next() })
        #expect(a.below(0) == 0)
        #expect((0..<100).allSatisfy { _ in (0..<1.0).contains(a.unit()) })
    }
}
