import Domain
import Testing

/// Defence and four-three exercises as the lessons request them (`count: 1`, default budget),
/// each checked move by move with the solver.
@Suite struct DefendPuzzleTests {
    /// The depth the generator proves defences to.
    private static let depth = 12

    private func request(_ kind: PuzzleKind, _ ruleset: Ruleset, difficulty: Int?, seed: UInt64) -> [Puzzle] {
        PuzzleGenerator.generate(PuzzleRequest(kind: kind, ruleset: ruleset, count: 1, difficulty: difficulty, seed: seed))
    }

    /// The threat is real, the answer stops it, and every other move the side to move may make leaves it standing.
    private func verifyDefence(_ puzzle: Puzzle, sourceLocation: SourceLocation = #_sourceLocation) {
        let board = puzzle.board
        let ruleset = puzzle.ruleset
        let attacker = puzzle.toMove.opponent
        let solver = VCFSolver(ruleset: ruleset, maxDepth: Self.depth)
        #expect(puzzle.kind == .defend, sourceLocation: sourceLocation)
        #expect(board[puzzle.answer] == nil, sourceLocation: sourceLocation)
        #expect(solver.solve(board, attacker: attacker).outcome == .win, "the threat is real", sourceLocation: sourceLocation)
        #expect(solver.solve(board, attacker: puzzle.toMove).outcome == .noWin, "no win of one's own", sourceLocation: sourceLocation)
        for point in board.emptyPoints {
            guard case .ordinary = Rules.evaluate(point, for: puzzle.toMove, on: board, ruleset: ruleset) else {
                #expect(point != puzzle.answer, sourceLocation: sourceLocation)
                continue
            }
            var answered = board
            answered[point] = puzzle.toMove
            let outcome = solver.solve(answered, attacker: attacker).outcome
            if point == puzzle.answer {
                #expect(outcome == .noWin, "the answer \(point) stops every VCF", sourceLocation: sourceLocation)
            } else {
                #expect(outcome == .win, "\(point) leaves a VCF", sourceLocation: sourceLocation)
            }
        }
        #expect((1...5).contains(puzzle.difficulty), sourceLocation: sourceLocation)
        #expect(!puzzle.explanation.isEmpty, sourceLocation: sourceLocation)
    }

    @Test(arguments: [Ruleset.freestyle, .renju])
    func blockingAFourIsDifficultyOne(ruleset: Ruleset) {
        for seed: UInt64 in 1...5 {
            let puzzles = request(.defend, ruleset, difficulty: 1, seed: seed)
            #expect(puzzles.count == 1, "seed \(seed)")
            for puzzle in puzzles {
                #expect(puzzle.difficulty == 1)
                #expect(puzzle.length == 1, "the opponent already has a four")
                verifyDefence(puzzle)
            }
        }
    }

    @Test(arguments: [Ruleset.freestyle, .renju])
    func hiddenFoursAndShortThreatsAreDifficultyTwo(ruleset: Ruleset) {
        for seed: UInt64 in 1...5 {
            let puzzles = request(.defend, ruleset, difficulty: 2, seed: seed)
            #expect(puzzles.count == 1, "seed \(seed)")
            for puzzle in puzzles {
                #expect(puzzle.difficulty == 2)
                verifyDefence(puzzle)
            }
        }
    }

    @Test(arguments: [Ruleset.freestyle, .renju])
    func anyDefenceRequestIsAnswered(ruleset: Ruleset) {
        for seed: UInt64 in 1...5 {
            let puzzles = request(.defend, ruleset, difficulty: nil, seed: seed)
            #expect(puzzles.count == 1, "seed \(seed)")
            puzzles.forEach { verifyDefence($0) }
        }
    }

    @Test func harderDefencesStopAThreatenedVCF() {
        let puzzles = PuzzleGenerator.generate(PuzzleRequest(kind: .defend, ruleset: .freestyle, count: 1, difficulty: 3, seed: 1,
                                                             nodeBudget: 60_000, maxPlayouts: 200))
        #expect(puzzles.count == 1)
        for puzzle in puzzles {
            #expect(puzzle.difficulty == 3)
            #expect(puzzle.length >= 2)
            verifyDefence(puzzle)
        }
    }

    private func verifyFourThree(_ puzzle: Puzzle, sourceLocation: SourceLocation = #_sourceLocation) {
        let board = puzzle.board
        let shape = Rules.shape(of: puzzle.answer, for: puzzle.toMove, on: board, ruleset: puzzle.ruleset)
        #expect(shape.fours == 1 && shape.threes >= 1, "a four and a three", sourceLocation: sourceLocation)
        #expect(shape.forbidden == nil && shape.winningLine == nil, sourceLocation: sourceLocation)
        #expect(puzzle.length == 3, sourceLocation: sourceLocation)
        let solver = VCFSolver(ruleset: puzzle.ruleset, maxDepth: Self.depth)
        let analysis = solver.winningFirstMoves(board, attacker: puzzle.toMove)
        #expect(analysis.isExhaustive, sourceLocation: sourceLocation)
        #expect(analysis.wins.map(\.move) == [puzzle.answer], "the only winning first move", sourceLocation: sourceLocation)
        #expect(analysis.wins.first?.result.attackerMoves == 3, sourceLocation: sourceLocation)
        #expect(puzzle.solution.first == puzzle.answer, sourceLocation: sourceLocation)
    }

    @Test(arguments: [Ruleset.freestyle, .renju])
    func fourThreeRequestsOfEveryLessonDifficulty(ruleset: Ruleset) {
        for difficulty in 1...3 {
            var found = 0
            for seed: UInt64 in 1...5 {
                for puzzle in request(.fourThree, ruleset, difficulty: difficulty, seed: seed) {
                    found += 1
                    #expect(puzzle.difficulty == difficulty)
                    verifyFourThree(puzzle)
                }
            }
            #expect(found >= 1, "difficulty \(difficulty): \(found) of 5 seeds")
        }
    }

    @Test(arguments: [PuzzleKind.winInOne, .vcf])
    func lessonDifficultiesAreReachable(kind: PuzzleKind) {
        for difficulty in 1...3 {
            let found = (UInt64(1)...5).flatMap { request(kind, .freestyle, difficulty: difficulty, seed: $0) }
            #expect(!found.isEmpty, "\(kind) difficulty \(difficulty)")
            #expect(found.allSatisfy { $0.difficulty == difficulty })
        }
    }

    @Test func unreachableDifficultiesReturnAtOnce() {
        #expect(request(.winInOne, .freestyle, difficulty: 5, seed: 1).isEmpty)
        #expect(request(.fourThree, .renju, difficulty: 4, seed: 1).isEmpty)
    }
}
