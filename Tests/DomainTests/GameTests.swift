import Domain
import Testing

@Suite struct GameTests {
    @Test(arguments: Ruleset.allCases)
    func newGame(_ ruleset: Ruleset) throws {
        let game = try Game(size: 19, ruleset: ruleset)
        #expect(game.ruleset == ruleset)
        #expect(game.size == 19)
        #expect(game.toMove == .black)
        #expect(game.moveNumber == 1)
        #expect(game.moves.isEmpty)
        #expect(game.lastMove == nil)
        #expect(game.status == .ongoing)
        #expect(!game.status.isOver)
        #expect(game.status.winner == nil)
        #expect(game.winningLine.isEmpty)
        #expect(game.board.isEmpty)
        #expect(game.moveList == "")
        #expect(game.forbiddenPoints().isEmpty)
    }

    @Test func movesAlternateAndAreNumbered() throws {
        var game = try Game(ruleset: .freestyle)
        let first = try game.play("h8")
        #expect(first == Move(number: 1, point: Point(row: 7, col: 7), stone: .black))
        #expect(game.toMove == .white)
        #expect(game.moveNumber == 2)
        let second = try game.play(Point(row: 6, col: 8), as: .white, expectedMoveNumber: 2)
        #expect(second.number == 2)
        #expect(second.stone == .white)
        #expect(game.board[Point(row: 6, col: 8)] == .white)
        #expect(game.lastMove == second)
        #expect(game.moves.map(\.number) == [1, 2])
        #expect(game.toMove == .black)
        #expect(game.moveList == "h8 i9")
    }

    // MARK: Every refusal

    @Test func wrongTurn() throws {
        var game = try Game(ruleset: .standard)
        #expect(throws: DomainError("It is Black's turn, not yours.")) { try game.play("h8", as: .white) }
        try game.play("h8", as: .black)
        #expect(throws: DomainError.notYourTurn(toMove: .white)) { try game.play("h9", as: .black) }
        #expect(game.moves.count == 1)
    }

    @Test func offTheBoard() throws {
        var game = try Game(ruleset: .freestyle)
        for point in [Point(row: -1, col: 0), Point(row: 0, col: -1), Point(row: 15, col: 3), Point(row: 3, col: 15)] {
            #expect(throws: DomainError("That point is off the 15×15 board.")) { try game.play(point) }
        }
        var large = try Game(size: 19, ruleset: .freestyle)
        try large.play(Point(row: 18, col: 18))
        #expect(throws: DomainError.offBoard(size: 19)) { try large.play(Point(row: 19, col: 0)) }
        #expect(game.moves.isEmpty)
    }

    @Test func occupied() throws {
        var game = try Game(ruleset: .caro)
        try game.play("h8")
        #expect(throws: DomainError("There is already a stone on that point.")) { try game.play("h8") }
        try game.play("h9")
        #expect(throws: DomainError.occupied) { try game.play("h9") }
        #expect(game.moves.count == 2)
    }

    @Test func badNotationIsReportedForThePlayer() throws {
        var game = try Game(ruleset: .freestyle)
        #expect(throws: DomainError("Column \"z\" is not on the board; columns go from a to o.")) { try game.play("z1") }
    }

    @Test func forbiddenMoveExplainsTheRule() throws {
        var game = try Game(ruleset: .renju)
        try game.playAll(["f8", "a1", "g8", "c1", "h10", "e1", "h9", "g1"])
        let h8 = try game.board.point("h8")
        #expect(game.forbiddenPoints() == [ForbiddenPoint(point: h8, reason: .doubleThree)])
        #expect(game.check(h8) == .forbidden(.doubleThree))
        #expect(throws: DomainError("Black may not make two open threes with one move (renju rule).")) { try game.play(h8) }
        #expect(game.moveNumber == 9)
        #expect(game.board[h8] == nil)
        #expect(game.status == .ongoing)
        try game.play("o15")
        #expect(game.forbiddenPoints() == [ForbiddenPoint(point: h8, reason: .doubleThree)], "still listed on White's turn")
        #expect(game.check(h8) == nil, "White may play on Black's forbidden point")
        try game.play(h8)
        #expect(game.board[h8] == .white)
        #expect(game.forbiddenPoints().isEmpty)
    }

    @Test func sameShapeIsAllowedOutsideRenju() throws {
        for ruleset in [Ruleset.freestyle, .standard, .caro] {
            var game = try Game(ruleset: ruleset)
            try game.playAll(["f8", "a1", "g8", "c1", "h10", "e1", "h9", "g1"])
            #expect(game.forbiddenPoints().isEmpty)
            try game.play("h8")
            #expect(game.status == .ongoing)
        }
    }

    @Test func expectedMoveNumberStopsADoubleClick() throws {
        var game = try Game(ruleset: .freestyle)
        try game.play("h8", as: .black, expectedMoveNumber: 1)
        try game.play("j9", as: .white, expectedMoveNumber: 2)
        // The same request arrives a second time.
        #expect(throws: DomainError.positionChanged) { try game.play("j9", as: .white, expectedMoveNumber: 2) }
        #expect(throws: DomainError.positionChanged) { try game.play("a1", expectedMoveNumber: 2) }
        #expect(throws: DomainError.positionChanged) { try game.play("a1", expectedMoveNumber: 4) }
        #expect(DomainError.positionChanged.message
            == "This position has changed since you chose your move; the move you answered was already played. Look at the board again.")
        #expect(game.moves.count == 2)
        try game.play("a1", expectedMoveNumber: 3)
        #expect(game.moveNumber == 4)
    }

    @Test func refusalsComeInAHelpfulOrder() throws {
        var game = try Game(ruleset: .renju)
        try game.play("h8")
        // A stale request is reported as stale even when it is also the wrong turn and occupied.
        #expect(game.check(Point(row: 7, col: 7), as: .black, expectedMoveNumber: 1) == .positionChanged)
        #expect(game.check(Point(row: 7, col: 7), as: .black, expectedMoveNumber: 2) == .notYourTurn(toMove: .white))
        #expect(game.check(Point(row: 99, col: 7), as: .white, expectedMoveNumber: 2) == .offBoard(size: 15))
        #expect(game.check(Point(row: 7, col: 7), as: .white, expectedMoveNumber: 2) == .occupied)
        #expect(game.check(Point(row: 7, col: 8), as: .white, expectedMoveNumber: 2) == nil)
        try game.resign(.white)
        #expect(game.check(Point(row: 7, col: 8), as: .white, expectedMoveNumber: 1) == .gameOver)
    }

    @Test func checkDoesNotChangeTheGame() throws {
        var game = try Game(ruleset: .renju)
        try game.play("h8")
        let before = game
        _ = game.check(Point(row: 0, col: 0))
        _ = game.check(Point(row: 7, col: 7))
        #expect(game == before)
    }

    // MARK: End of the game

    @Test func noMovesAfterAWin() throws {
        var game = try Game(ruleset: .standard)
        try game.playAll(["a1", "a15", "b1", "c15", "c1", "e15", "d1", "g15", "e1"])
        #expect(game.status == .won(by: .black, line: ["a1", "b1", "c1", "d1", "e1"].map { try! game.board.point($0) }))
        #expect(throws: DomainError("This game is over; no more moves can be made.")) { try game.play("h8") }
        #expect(throws: DomainError.gameOver) { try game.resign(.white) }
        #expect(game.forbiddenPoints().isEmpty)
        #expect(game.moves.count == 9)
    }

    @Test(arguments: [Stone.black, .white])
    func resign(_ loser: Stone) throws {
        var game = try Game(ruleset: .renju)
        try game.play("h8")
        try game.resign(loser)
        #expect(game.status == .resigned(by: loser))
        #expect(game.status.winner == loser.opponent)
        #expect(game.status.isOver)
        #expect(game.winningLine.isEmpty)
        #expect(throws: DomainError.gameOver) { try game.play("h9") }
        #expect(throws: DomainError.gameOver) { try game.resign(loser.opponent) }
    }

    @Test func resignBeforeTheFirstMove() throws {
        var game = try Game(ruleset: .freestyle)
        try game.resign(.black)
        #expect(game.status.winner == .white)
    }

    /// A filling with runs of at most two in every direction: Black where (row + col / 2) is even.
    static func drawingOrder(size: Int, black isBlack: (Point) -> Bool = { ($0.row + $0.col / 2).isMultiple(of: 2) }) -> [Point] {
        var black: [Point] = []
        var white: [Point] = []
        for row in 0..<size {
            for col in 0..<size {
                let point = Point(row: row, col: col)
                if isBlack(point) { black.append(point) } else { white.append(point) }
            }
        }
        precondition(black.count == white.count + 1)
        var order: [Point] = []
        for index in white.indices { order += [black[index], white[index]] }
        return order + [black.last!]
    }

    @Test(arguments: Ruleset.allCases)
    func fullBoardIsADraw(_ ruleset: Ruleset) throws {
        let order = Self.drawingOrder(size: 15)
        var game = try Game(ruleset: ruleset)
        for point in order.dropLast() { try game.play(point) }
        #expect(game.status == .ongoing)
        try game.play(order.last!)
        #expect(game.status == .draw)
        #expect(game.status.winner == nil)
        #expect(game.board.isFull)
        #expect(game.moves.count == 225)
        #expect(throws: DomainError.gameOver) { try game.play(Point(row: 0, col: 0)) }
    }

    @Test func fullBoardOf19IsADraw() throws {
        var game = try Game(size: 19, ruleset: .standard)
        for point in Self.drawingOrder(size: 19) { try game.play(point) }
        #expect(game.status == .draw)
        #expect(game.moves.count == 361)
    }

    @Test(arguments: [Ruleset.freestyle, .standard])
    func fillingTheBoardWithAFiveIsAWinNotADraw(_ ruleset: Ruleset) throws {
        // The drawing pattern, changed so that the bottom row ends W B B B B B W and the last
        // stone played (o1's neighbour n1) completes that five.
        let changed: [Point: Bool] = [
            Point(row: 14, col: 8): false, Point(row: 14, col: 10): true, Point(row: 14, col: 11): true,
            Point(row: 0, col: 0): false,
        ]
        let order = Self.drawingOrder(size: 15) { changed[$0] ?? ($0.row + $0.col / 2).isMultiple(of: 2) }
        #expect(order.last == Point(row: 14, col: 13))
        var game = try Game(ruleset: ruleset)
        for point in order { try game.play(point) }
        #expect(game.board.isFull)
        #expect(game.status == .won(by: .black, line: (9...13).map { Point(row: 14, col: $0) }))
    }

}

@Suite struct ReplayTests {
    @Test(arguments: Ruleset.allCases)
    func exportAndReplayGiveTheSameGame(_ ruleset: Ruleset) throws {
        var game = try Game(ruleset: ruleset)
        try game.playAll(["h8", "i9", "h9", "h10", "g10", "f11", "i7", "j6", "g9"])
        let list = game.moveList
        #expect(list == "h8 i9 h9 h10 g10 f11 i7 j6 g9")
        #expect(try Game(replaying: list, ruleset: ruleset) == game)
        #expect(try Game(replaying: game.moves.map(\.point), ruleset: ruleset) == game)
    }

    @Test func replayAcceptsCommasAndSpacesAndCapitals() throws {
        let game = try Game(replaying: " H8, i9 ;h9\n\th10 ", ruleset: .freestyle)
        #expect(game.moveList == "h8 i9 h9 h10")
        #expect(try Game(replaying: "", ruleset: .freestyle).moves.isEmpty)
    }

    @Test func replayOnA19Board() throws {
        let game = try Game(replaying: "j10 s19 a1 k11", size: 19, ruleset: .standard)
        #expect(game.moves.map(\.point) == [Point(row: 9, col: 9), Point(row: 0, col: 18), Point(row: 18, col: 0), Point(row: 8, col: 10)])
        #expect(throws: DomainError.self) { try Game(replaying: "s19", size: 15, ruleset: .standard) }
    }

    @Test func replayKeepsTheResult() throws {
        let won = try Game(replaying: "a1 a15 b1 c15 c1 e15 d1 g15 e1", ruleset: .freestyle)
        #expect(won.status.winner == .black)
        #expect(won.winningLine.count == 5)
    }

    @Test func replayRefusesBadListsSayingWhichMove() throws {
        #expect(throws: DomainError("Move 3 (h8) cannot be replayed: There is already a stone on that point.")) {
            try Game(replaying: "h8 h9 h8", ruleset: .freestyle)
        }
        #expect(throws: DomainError("Move 2 (9h) cannot be read: Enter a point as a column letter (a to o) and a row number (1 to 15), like h8.")) {
            try Game(replaying: "h8 9h", ruleset: .freestyle)
        }
        #expect(throws: DomainError("Move 10 (h8) cannot be replayed: This game is over; no more moves can be made.")) {
            try Game(replaying: "a1 a15 b1 c15 c1 e15 d1 g15 e1 h8", ruleset: .freestyle)
        }
        #expect(throws: DomainError("Move 9 (h8) cannot be replayed: Black may not make two open threes with one move (renju rule).")) {
            try Game(replaying: "f8 a1 g8 c1 h10 e1 h9 g1 h8", ruleset: .renju)
        }
        #expect(throws: DomainError("Move 1 ((15,0)) cannot be replayed: That point is off the 15×15 board.")) {
            try Game(replaying: [Point(row: 15, col: 0)], ruleset: .freestyle)
        }
        #expect(throws: DomainError.unsupportedBoardSize(17)) { try Game(replaying: "h8", size: 17, ruleset: .freestyle) }
    }
}
