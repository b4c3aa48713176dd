import Domain
import Testing

@Suite struct BoardTests {
    @Test(arguments: [15, 19])
    func supportedSizesStartEmpty(_ size: Int) throws {
        let board = try Board(size: size)
        #expect(board.size == size)
        #expect(board.isEmpty)
        #expect(!board.isFull)
        #expect(board.stoneCount == 0)
        #expect(board.points.count == size * size)
        #expect(board.emptyPoints.count == size * size)
        #expect(board.points.allSatisfy { board[$0] == nil })
    }

    @Test(arguments: [0, -1, 1, 5, 13, 14, 16, 18, 20, 100])
    func otherSizesAreRefused(_ size: Int) {
        #expect(throws: DomainError("A board is 15×15 or 19×19; \(size)×\(size) is not offered.")) { try Board(size: size) }
        #expect(throws: DomainError.unsupportedBoardSize(size)) { try Game(size: size, ruleset: .freestyle) }
    }

    @Test func defaultSizeIs15() throws {
        #expect(try Board().size == 15)
        #expect(try Game(ruleset: .renju).size == 15)
    }

    @Test func placingAndRemovingStones() throws {
        var board = try Board(size: 15)
        board[Point(row: 0, col: 0)] = .black
        board[14, 14] = .white
        #expect(board[0, 0] == .black)
        #expect(board[Point(row: 14, col: 14)] == .white)
        #expect(board.stoneCount == 2)
        #expect(!board.isEmpty)
        #expect(board.emptyPoints.count == 223)
        board[0, 0] = nil
        #expect(board[0, 0] == nil)
        #expect(board.stoneCount == 1)
    }

    @Test func boardIsAValue() throws {
        var first = try Board(size: 15)
        let copy = first
        first[7, 7] = .black
        #expect(copy[7, 7] == nil)
        #expect(first != copy)
    }

    @Test func containsOnlyPointsOnTheBoard() throws {
        let board = try Board(size: 15)
        #expect(board.contains(Point(row: 0, col: 0)))
        #expect(board.contains(Point(row: 14, col: 14)))
        for outside in [Point(row: -1, col: 0), Point(row: 0, col: -1), Point(row: 15, col: 0), Point(row: 0, col: 15)] {
            #expect(!board.contains(outside))
        }
        #expect(try Board(size: 19).contains(Point(row: 18, col: 18)))
    }

    @Test func fullBoard() throws {
        var board = try Board(size: 15)
        for (index, point) in board.points.enumerated() { board[point] = index.isMultiple(of: 2) ? .black : .white }
        #expect(board.isFull)
        #expect(board.emptyPoints.isEmpty)
        #expect(board.stoneCount == 225)
    }

    @Test func descriptionDrawsRowsFromTheTop() throws {
        var board = try Board(size: 15)
        board[0, 0] = .black
        board[0, 2] = .white
        board[14, 14] = .black
        let rows = board.description.split(separator: "\n")
        #expect(rows.count == 15)
        #expect(rows[0] == "X.O............")
        #expect(rows[14] == "..............X")
        #expect(rows[7] == "...............")
    }

    @Test func picturesPlaceStonesAndMarks() {
        let picture = Picture("""
            X.O
            .a.
            """, top: 0, left: 0)
        #expect(picture.board[0, 0] == .black)
        #expect(picture.board[0, 2] == .white)
        #expect(picture["a"] == Point(row: 1, col: 1))
        #expect(picture.board.stoneCount == 2)
    }
}

@Suite struct RulesetTests {
    @Test func rawValuesAreStable() {
        #expect(Ruleset.allCases.map(\.rawValue) == ["freestyle", "standard", "renju", "caro"])
        #expect(Ruleset.allCases.map(\.displayName) == ["Freestyle", "Standard", "Renju", "Caro"])
        #expect(Ruleset.allCases.allSatisfy { !$0.summary.isEmpty })
        #expect(Ruleset.allCases.filter(\.hasForbiddenMoves) == [.renju])
    }

    @Test func parsing() throws {
        #expect(try Ruleset(parsing: "renju") == .renju)
        #expect(try Ruleset(parsing: " Caro ") == .caro)
        #expect(throws: DomainError("Choose one of the rule sets: freestyle, standard, renju or caro.")) {
            try Ruleset(parsing: "gomoku-pro")
        }
        #expect(throws: DomainError.self) { try Ruleset(parsing: "") }
    }

    @Test func stones() {
        #expect(Stone.black.opponent == .white)
        #expect(Stone.white.opponent == .black)
        #expect(Stone.black.displayName == "Black")
        #expect(Stone.white.rawValue == "white")
    }

    @Test func forbiddenReasonsExplainThemselvesToPlayers() {
        #expect(ForbiddenReason.doubleThree.rawValue == "double three")
        #expect(ForbiddenReason.doubleFour.rawValue == "double four")
        #expect(ForbiddenReason.overline.rawValue == "overline")
        #expect(ForbiddenReason.doubleThree.explanation == "Black may not make two open threes with one move (renju rule).")
        #expect(ForbiddenReason.doubleFour.explanation == "Black may not make two fours with one move (renju rule).")
        #expect(ForbiddenReason.overline.explanation == "Black may not make six or more in a row (renju rule).")
        #expect(DomainError.forbidden(.overline).message == ForbiddenReason.overline.explanation)
    }
}
