import Domain
import Testing

/// A straight line of stones to play in a test game.
struct LineCase: CustomTestStringConvertible, Sendable {
    var size: Int
    var start: Point
    var step: (row: Int, col: Int)
    var name: String
    var testDescription: String { "\(name) on \(size)x\(size)" }

    func points(_ count: Int = 5) -> [Point] {
        (0..<count).map { start.offset(step.row, step.col, by: $0) }
    }

    static func all(size s: Int) -> [LineCase] {
        [
            LineCase(size: s, start: Point(row: 0, col: 0), step: (0, 1), name: "horizontal, top-left corner"),
            LineCase(size: s, start: Point(row: s - 1, col: s - 5), step: (0, 1), name: "horizontal, bottom-right corner"),
            LineCase(size: s, start: Point(row: s / 2, col: 3), step: (0, 1), name: "horizontal, middle"),
            LineCase(size: s, start: Point(row: s - 5, col: 0), step: (1, 0), name: "vertical, bottom-left corner"),
            LineCase(size: s, start: Point(row: 0, col: s - 1), step: (1, 0), name: "vertical, top-right corner"),
            LineCase(size: s, start: Point(row: 4, col: s / 2), step: (1, 0), name: "vertical, middle"),
            LineCase(size: s, start: Point(row: 0, col: 0), step: (1, 1), name: "diagonal, top-left corner"),
            LineCase(size: s, start: Point(row: s - 5, col: s - 5), step: (1, 1), name: "diagonal, bottom-right corner"),
            LineCase(size: s, start: Point(row: 3, col: 6), step: (1, 1), name: "diagonal, middle"),
            LineCase(size: s, start: Point(row: 0, col: s - 1), step: (1, -1), name: "anti-diagonal, top-right corner"),
            LineCase(size: s, start: Point(row: s - 5, col: 4), step: (1, -1), name: "anti-diagonal, bottom-left corner"),
            LineCase(size: s, start: Point(row: 4, col: 9), step: (1, -1), name: "anti-diagonal, middle"),
        ]
    }
}

/// White (or Black) stones far from `line` and from each other, so they never form a line.
func fillers(avoiding line: [Point], size: Int, count: Int) -> [Point] {
    var chosen: [Point] = []
    for row in 0..<size {
        for col in 0..<size where chosen.count < count {
            let point = Point(row: row, col: col)
            let farFromLine = line.allSatisfy { max(abs($0.row - row), abs($0.col - col)) >= 3 }
            let farFromOthers = chosen.allSatisfy { max(abs($0.row - row), abs($0.col - col)) >= 2 }
            if farFromLine && farFromOthers { chosen.append(point) }
        }
    }
    precondition(chosen.count == count)
    return chosen
}

/// Plays `line` for `winner` in the given order while the other side plays harmless fillers.
func playLine(_ line: [Point], order: [Int], winner: Stone, size: Int, ruleset: Ruleset) throws -> Game {
    var game = try Game(size: size, ruleset: ruleset)
    var others = fillers(avoiding: line, size: size, count: line.count + 1)
    if winner == .white { try game.play(others.removeFirst()) }
    for (index, lineIndex) in order.enumerated() {
        try game.play(line[lineIndex])
        if index < order.count - 1 { try game.play(others.removeFirst()) }
    }
    return game
}

@Suite struct WinTests {
    static let cases = LineCase.all(size: 15) + LineCase.all(size: 19)

    @Test(arguments: cases, Ruleset.allCases)
    func blackWinsWithFiveInEveryDirectionAndAtEdges(_ line: LineCase, _ ruleset: Ruleset) throws {
        for order in [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [0, 1, 3, 4, 2]] {
            let game = try playLine(line.points(), order: order, winner: .black, size: line.size, ruleset: ruleset)
            guard case .won(let stone, let winning) = game.status else {
                Issue.record("not won: \(game.status)\n\(game.board)")
                continue
            }
            #expect(stone == .black)
            #expect(Set(winning) == Set(line.points()))
            #expect(winning.count == 5)
            #expect(game.winningLine == winning)
            #expect(game.status.winner == .black)
            #expect(game.status.isOver)
            #expect(game.moves.count == 9)
        }
    }

    @Test(arguments: cases, Ruleset.allCases)
    func whiteWinsWithFive(_ line: LineCase, _ ruleset: Ruleset) throws {
        let game = try playLine(line.points(), order: [2, 0, 4, 1, 3], winner: .white, size: line.size, ruleset: ruleset)
        #expect(game.status == .won(by: .white, line: game.winningLine))
        #expect(Set(game.winningLine) == Set(line.points()))
        #expect(game.moves.last?.stone == .white)
        #expect(game.moves.count == 10)
    }

    @Test func winningLineRunsAlongTheLine() throws {
        let line = LineCase(size: 15, start: Point(row: 2, col: 12), step: (1, -1), name: "anti-diagonal")
        let game = try playLine(line.points(), order: [0, 1, 2, 3, 4], winner: .black, size: 15, ruleset: .standard)
        #expect(game.winningLine == line.points())
    }

    @Test func fourIsNotAWin() throws {
        let line = LineCase(size: 15, start: Point(row: 7, col: 3), step: (0, 1), name: "four")
        let game = try playLine(line.points(4), order: [0, 1, 2, 3], winner: .black, size: 15, ruleset: .freestyle)
        #expect(game.status == .ongoing)
        #expect(game.winningLine.isEmpty)
    }

    // MARK: Overlines, ruleset by ruleset

    @Test func freestyleOverlineWinsWithTheWholeLine() {
        let picture = Picture("XXXaXX")
        guard case .win(let line) = picture.evaluate("a", .black, .freestyle) else {
            Issue.record("expected a win")
            return
        }
        #expect(line == (3...8).map { Point(row: 3, col: $0) })
        guard case .win(let whiteLine) = Picture("OOaOOOO").evaluate("a", .white, .freestyle) else {
            Issue.record("expected a win")
            return
        }
        #expect(whiteLine.count == 7)
    }

    @Test(arguments: [Stone.black, .white])
    func standardOverlineDoesNotWinForEitherColour(_ stone: Stone) {
        let picture = Picture(stone == .black ? "XXXaXX" : "OOOaOO")
        #expect(picture.evaluate("a", stone, .standard) == .ordinary)
    }

    @Test func caroOverlineDoesNotWin() {
        #expect(Picture("XXXaXX").evaluate("a", .black, .caro) == .ordinary)
        #expect(Picture("OaOOOOO").evaluate("a", .white, .caro) == .ordinary)
    }

    @Test func renjuOverlineIsForbiddenForBlackButWinsForWhite() {
        #expect(Picture("XXXaXX").evaluate("a", .black, .renju) == .forbidden(.overline))
        #expect(Picture("XaXXXXX").evaluate("a", .black, .renju) == .forbidden(.overline))
        guard case .win(let line) = Picture("OOOaOO").evaluate("a", .white, .renju) else {
            Issue.record("White's overline should win in renju")
            return
        }
        #expect(line.count == 6)
    }

    @Test(arguments: [Ruleset.standard, .renju, .caro])
    func aFiveWinsEvenWhenTheSameMoveMakesAnOverlineElsewhere(_ ruleset: Ruleset) {
        let picture = Picture("""
            ....X..
            ....X..
            .XXXaXX
            ....X..
            ....X..
            """)
        #expect(picture.evaluate("a", .black, ruleset) == .win(line: (3...7).map { Point(row: $0, col: 7) }))
    }

    @Test func overlineInGames() throws {
        var standard = try Game(ruleset: .standard)
        try standard.playAll(["a1", "o15", "b1", "o13", "c1", "o11", "e1", "o9", "f1", "m15"])
        try standard.play("d1")
        #expect(standard.status == .ongoing)
        #expect(standard.board.stoneCount == 11)

        var freestyle = try Game(ruleset: .freestyle)
        try freestyle.playAll(["a1", "o15", "b1", "o13", "c1", "o11", "e1", "o9", "f1", "m15"])
        try freestyle.play("d1")
        #expect(freestyle.winningLine.count == 6)
        #expect(freestyle.status.winner == .black)

        var renju = try Game(ruleset: .renju)
        try renju.playAll(["a1", "o15", "b1", "o13", "c1", "o11", "e1", "o9", "f1", "m15"])
        #expect(throws: DomainError.forbidden(.overline)) { try renju.play("d1") }
        #expect(renju.moveNumber == 11)
        #expect(renju.board[try renju.board.point("d1")] == nil)
    }

    // MARK: Caro

    @Test func caroFiveBlockedAtBothEndsDoesNotWin() {
        #expect(Picture("OXXXXaO").evaluate("a", .black, .caro) == .ordinary)
        #expect(Picture("OXXaXXO").evaluate("a", .black, .caro) == .ordinary)
        #expect(Picture("XOOOOaX").evaluate("a", .white, .caro) == .ordinary)
        let diagonal = Picture("""
            O.....
            .X....
            ..X...
            ...a..
            ....X.
            .....X
            ......O
            """)
        #expect(diagonal.evaluate("a", .black, .caro) == .ordinary)
        // The same fives win under the other rulesets.
        #expect(Picture("OXXXXaO").evaluate("a", .black, .standard) != .ordinary)
        #expect(diagonal.evaluate("a", .black, .freestyle) != .ordinary)
    }

    @Test func caroFiveBlockedAtOneEndWins() {
        #expect(Picture("OXXXXa.").evaluate("a", .black, .caro) == .win(line: (4...8).map { Point(row: 3, col: $0) }))
        #expect(Picture(".aXXXXO").evaluate("a", .black, .caro) != .ordinary)
        #expect(Picture("O.XXXXaO").evaluate("a", .black, .caro) != .ordinary)
        #expect(Picture("aXXXX").evaluate("a", .black, .caro) != .ordinary)
    }

    @Test func caroOwnStoneBeyondAGapIsNotABlock() {
        #expect(Picture("OXXXXa.X").evaluate("a", .black, .caro) != .ordinary)
    }

    @Test func caroBoardEdgeIsNotABlock() {
        #expect(Picture("XXXXaO", top: 0, left: 0).evaluate("a", .black, .caro)
            == .win(line: (0...4).map { Point(row: 0, col: $0) }))
        #expect(Picture("OaXXXX", top: 14, left: 9).evaluate("a", .black, .caro)
            == .win(line: (10...14).map { Point(row: 14, col: $0) }))
        let corner = Picture("""
            a....
            .X...
            ..X..
            ...X.
            ....X
            .....O
            """, top: 0, left: 0)
        #expect(corner.evaluate("a", .black, .caro) != .ordinary)
        let whiteAtEdge = Picture("""
            X
            O
            O
            O
            O
            a
            """, top: 9, left: 14)
        #expect(whiteAtEdge.evaluate("a", .white, .caro) != .ordinary)
    }

    @Test func caroGameContinuesAfterABlockedFive() throws {
        var game = try Game(ruleset: .caro)
        // Black's five b1..f1 ends up between White's a1 and g1.
        try game.playAll(["b1", "a1", "c1", "g1", "d1", "o15", "e1", "o13"])
        try game.play("f1")
        #expect(game.status == .ongoing)
        try game.play("h8")
        #expect(game.toMove == .black)
        #expect(game.moveNumber == 11)
    }
}
