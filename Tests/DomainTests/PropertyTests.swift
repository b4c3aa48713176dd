import Domain
import Testing

/// Random games played densely (near existing stones) to cross-check the rules against each other.
@Suite struct PropertyTests {
    /// Plays random allowed moves near the stones until the game ends or `limit` moves are made.
    static func randomGame(_ ruleset: Ruleset, seed: UInt64, size: Int = 15, limit: Int = 400,
                           onRefusal: (Game, Point, DomainError) -> Void = { _, _, _ in }) throws -> Game {
        var random = SeededRandom(seed: seed)
        var game = try Game(size: size, ruleset: ruleset)
        try game.play(game.board.center)
        while !game.status.isOver && game.moves.count < limit {
            let stones = game.moves.map(\.point)
            var candidates = game.board.emptyPoints.filter { point in
                stones.contains { max(abs($0.row - point.row), abs($0.col - point.col)) <= 2 }
            }
            if candidates.isEmpty { candidates = game.board.emptyPoints }
            candidates.shuffle(using: &random)
            var played = false
            for point in candidates {
                if let error = game.check(point) {
                    onRefusal(game, point, error)
                    continue
                }
                try game.play(point, as: game.toMove, expectedMoveNumber: game.moveNumber)
                played = true
                break
            }
            if !played { break }
        }
        return game
    }

    static let seeds: [UInt64] = Array(1...12)

    @Test(arguments: Ruleset.allCases, seeds)
    func randomGamesKeepTheirInvariants(_ ruleset: Ruleset, _ seed: UInt64) throws {
        var refusedReasons: [ForbiddenReason] = []
        let game = try Self.randomGame(ruleset, seed: seed) { game, point, error in
            // The only refusal of an empty point is a renju forbidden move, and it matches the listing.
            let reason = Rules.forbiddenReason(at: point, on: game.board)
            #expect(ruleset == .renju && game.toMove == .black && reason != nil)
            if let reason {
                #expect(error == .forbidden(reason))
                #expect(game.forbiddenPoints().contains(ForbiddenPoint(point: point, reason: reason)))
                refusedReasons.append(reason)
            }
        }
        for (index, move) in game.moves.enumerated() {
            #expect(move.number == index + 1)
            #expect(move.stone == (index.isMultiple(of: 2) ? .black : .white))
            #expect(game.board[move.point] == move.stone)
        }
        #expect(game.board.stoneCount == game.moves.count)
        #expect(try Game(replaying: game.moveList, ruleset: ruleset) == game)

        switch game.status {
        case .won(let winner, let line):
            #expect(winner == game.moves.last?.stone)
            #expect(line.contains(game.moves.last!.point))
            #expect(line.allSatisfy { game.board[$0] == winner })
            let exact = ruleset == .standard || ruleset == .caro || (ruleset == .renju && winner == .black)
            #expect(exact ? line.count == 5 : line.count >= 5)
            let step = (line[1].row - line[0].row, line[1].col - line[0].col)
            #expect(abs(step.0) <= 1 && abs(step.1) <= 1 && step != (0, 0))
            for (a, b) in zip(line, line.dropFirst()) {
                #expect(b.row - a.row == step.0 && b.col - a.col == step.1)
            }
            #expect(Rules.winningLine(through: game.moves.last!.point, on: game.board, ruleset: ruleset) == line)
        case .draw:
            #expect(game.board.isFull || !Rules.hasAllowedMove(for: game.toMove, on: game.board, ruleset: ruleset))
        case .ongoing, .resigned:
            Issue.record("random game did not finish: \(game.status)\n\(game.board)")
        }
        if ruleset == .renju {
            #expect(!game.moves.contains { $0.stone == .black && game.board[$0.point] != .black })
        }
    }

    @Test(arguments: seeds)
    func forbiddenListingAgreesWithCheckingEveryPoint(_ seed: UInt64) throws {
        var game = try Self.randomGame(.renju, seed: seed &+ 100, limit: 60)
        if game.status.isOver { return }
        if game.toMove == .white {
            guard let point = game.board.emptyPoints.first(where: { game.check($0) == nil }) else { return }
            try game.play(point)
            if game.status.isOver { return }
        }
        let listed = Dictionary(uniqueKeysWithValues: game.forbiddenPoints().map { ($0.point, $0.reason) })
        for point in game.board.emptyPoints {
            let expected: DomainError? = listed[point].map { .forbidden($0) }
            #expect(game.check(point) == expected, "\(point)\n\(game.board)")
            let outcome = Rules.evaluate(point, for: .black, on: game.board, ruleset: .renju)
            if let reason = listed[point] {
                #expect(outcome == .forbidden(reason))
            } else {
                #expect(outcome != .forbidden(.overline) && outcome != .forbidden(.doubleFour) && outcome != .forbidden(.doubleThree))
            }
        }
    }

    @Test func checkingEveryPointOfDenseRenjuPositionsAgreesWithTheForbiddenList() throws {
        // Dense renju positions with Black to move: `check` refuses exactly the points the board
        // highlights as forbidden. (How fast this is, is measured by `make bench`, not asserted here.)
        var checks = 0
        for seed in 1...6 as ClosedRange<UInt64> {
            let game = try Self.randomGame(.renju, seed: seed &+ 500, limit: 80)
            guard !game.status.isOver, game.toMove == .black else { continue }
            let forbidden = Dictionary(uniqueKeysWithValues: game.forbiddenPoints().map { ($0.point, $0.reason) })
            for point in game.board.emptyPoints {
                let expected: DomainError? = forbidden[point].map { .forbidden($0) }
                #expect(game.check(point) == expected, "\(point)")
                checks += 1
            }
        }
        #expect(checks > 500)
    }
}
