import Domain
import Testing

/// Positions built from the RIF definitions. In each picture "a" is the point Black considers.
@Suite struct RenjuTests {
    // MARK: Double three

    @Test func openThreesCrossingAreADoubleThree() {
        let picture = Picture("""
            ...X...
            ...X...
            .XXa...
            .......
            """)
        #expect(picture.forbidden("a") == .doubleThree)
        #expect(picture.evaluate("a") == .forbidden(.doubleThree))
        #expect(picture.evaluate("a", .white) == .ordinary, "White has no restrictions")
        #expect(picture.evaluate("a", .black, .freestyle) == .ordinary, "only renju restricts Black")
        #expect(picture.evaluate("a", .black, .standard) == .ordinary)
    }

    @Test func diagonalThreesCrossingAreADoubleThree() {
        let picture = Picture("""
            .X...X.
            ..X.X..
            ...a...
            .......
            """)
        #expect(picture.forbidden("a") == .doubleThree)
    }

    @Test func splitThreeCountsInADoubleThree() {
        let oneSplit = Picture("""
            ....X...
            ....X...
            .XX.a...
            ........
            """)
        #expect(oneSplit.forbidden("a") == .doubleThree)
        let bothSplit = Picture("""
            ....X
            .....
            ....X
            .X.Xa
            .....
            """)
        #expect(bothSplit.forbidden("a") == .doubleThree)
        let middle = Picture("""
            ...X...
            .......
            .X.a.X.
            ...X...
            .......
            """)
        #expect(middle.forbidden("a") == nil, "X.a.X is not a three: no single stone makes four in a row")
    }

    @Test func stonesWithTwoGapsAreNotAThree() {
        // Vertically X.X.a: no single stone gives four in a row, so only the horizontal three counts.
        let picture = Picture("""
            ....X....
            .........
            ....X....
            .........
            ..XXa....
            .........
            """)
        #expect(picture.forbidden("a") == nil)
        #expect(Rules.shape(of: picture["a"], for: .black, on: picture.board, ruleset: .renju).threes == 1)
    }

    @Test func aThreeBlockedOnOneSideIsNotAThree() {
        let byStone = Picture("""
            ...X...
            ...X...
            OXXa...
            .......
            """)
        #expect(byStone.forbidden("a") == nil)
        #expect(byStone.evaluate("a") == .ordinary)
        let byEdge = Picture("""
            ..X.
            ..X.
            XXa.
            ....
            """, top: 3, left: 0)
        #expect(byEdge.forbidden("a") == nil)
        let noRoom = Picture("""
            ....X..
            ....X..
            O.XXa.O
            .......
            """)
        #expect(noRoom.forbidden("a") == nil, "O.XXX.O can never become a straight four")
        let unblocked = Picture("""
            ...X...
            ...X...
            .XXa...
            .......
            """)
        #expect(unblocked.forbidden("a") == .doubleThree)
    }

    @Test func aThreeWhoseStraightFoursWouldAllBeOverlinesIsNotAThreeForBlack() {
        // X..XXa..X: either straight four would have a five point that makes six for Black.
        let picture = Picture("""
            .....X...
            .....X...
            X..XXa..X
            .........
            """)
        #expect(picture.forbidden("a") == nil)
        #expect(Rules.shape(of: picture["a"], for: .black, on: picture.board, ruleset: .renju).threes == 1)
        #expect(Rules.shape(of: picture["a"], for: .black, on: picture.board, ruleset: .standard).threes == 1)
        #expect(Rules.shape(of: picture["a"], for: .black, on: picture.board, ruleset: .freestyle).threes == 2)
        let white = Picture("""
            .....O...
            .....O...
            O..OOa..O
            .........
            """)
        #expect(Rules.shape(of: white["a"], for: .white, on: white.board, ruleset: .renju).threes == 2, "White's overline wins, so both are threes")
    }

    @Test func fakeThreeWhoseCompletionIsAnOverlinePointDoesNotCount() {
        // Horizontal O.XXa b: the only straight-four point is b, and b would be an overline
        // for Black (column of b: XX b XXX), so the horizontal three is fake; only the vertical counts.
        let fake = Picture("""
            .........
            .........
            ....XX...
            ....XX...
            O.XXab...
            .....X...
            .....X...
            .....X...
            .........
            """)
        #expect(fake.forbidden("a") == nil)
        #expect(fake.evaluate("a") == .ordinary)
        var withA = fake.board
        withA[fake["a"]] = .black
        #expect(Rules.forbiddenReason(at: fake["b"], on: withA) == .overline)

        // Without the white stone the three can also become straight at (4,1), an allowed point.
        var real = fake.board
        real[Point(row: 7, col: 3)] = nil
        #expect(Rules.forbiddenReason(at: fake["a"], on: real) == .doubleThree)
    }

    @Test func fakeThreeWhoseCompletionIsADoubleFourPointDoesNotCount() {
        // Horizontally O.XXa b: b would also complete two vertical/diagonal fours for Black.
        let picture = Picture("""
            .....X.X.
            .....X.X.
            ....XX.X.
            ....X....
            O.XXab...
            .........
            .........
            """)
        var withA = picture.board
        withA[picture["a"]] = .black
        #expect(Rules.forbiddenReason(at: picture["b"], on: withA) == .doubleFour)
        #expect(picture.forbidden("a") == nil)
    }

    /// A two-level chain: a's horizontal three needs b; b is a double three unless its vertical
    /// three is fake, which happens when c (b's only straight-four point there) is an overline.
    static let chainLevelOne = """
        ..........
        ..........
        ..........
        .....X..X.
        .....X.X..
        .O.XXab...
        ......c...
        ......X...
        ......X...
        ..........
        """
    static let chainLevelTwo = """
        ..........
        ..........
        ..........
        .....X..X.
        ....XX.X..
        .O.XXab...
        ......c...
        ......XX..
        ......X.X.
        .........X
        """

    @Test func recursiveChainWhereTheCompletionIsARealDoubleThree() {
        let picture = Picture(Self.chainLevelOne, top: 2, left: 1)
        var withA = picture.board
        withA[picture["a"]] = .black
        var withAB = withA
        withAB[picture["b"]] = .black
        #expect(Rules.forbiddenReason(at: picture["c"], on: withAB) == nil, "c makes one straight four only")
        #expect(Rules.forbiddenReason(at: picture["b"], on: withA) == .doubleThree, "b: four plus two real threes")
        #expect(picture.forbidden("a") == nil, "a's horizontal three is fake because b is forbidden")
    }

    @Test func recursiveChainWhereTheCompletionsDoubleThreeIsItselfFake() {
        let picture = Picture(Self.chainLevelTwo, top: 2, left: 1)
        var withA = picture.board
        withA[picture["a"]] = .black
        var withAB = withA
        withAB[picture["b"]] = .black
        #expect(Rules.forbiddenReason(at: picture["c"], on: withAB) == .overline, "the diagonal through c is six")
        #expect(Rules.forbiddenReason(at: picture["b"], on: withA) == nil, "b's vertical three is fake, so b is four-three")
        #expect(picture.forbidden("a") == .doubleThree, "so a's horizontal three is real again")
    }

    @Test func fourThreeThreeIsForbiddenAsADoubleThree() {
        let picture = Picture("""
            .......
            .......
            OXXXa..
            ...X.X.
            ..X...X
            .......
            """)
        #expect(picture.forbidden("a") == .doubleThree)
    }

    // MARK: Double four

    @Test func twoFoursOnDifferentLinesAreADoubleFour() {
        let open = Picture("""
            ....X.
            ....X.
            ....X.
            .XXXa.
            ......
            """)
        #expect(open.forbidden("a") == .doubleFour)
        let closed = Picture("""
            ....O.
            ....X.
            ....X.
            ....X.
            OXXXa.
            ......
            """)
        #expect(closed.forbidden("a") == .doubleFour)
        #expect(closed.evaluate("a", .white) == .ordinary)
        let split = Picture("""
            ....X
            .....
            ....X
            ....X
            XX.Xa
            .....
            """)
        #expect(split.forbidden("a") == .doubleFour)
    }

    @Test(arguments: ["X.XaX.X", "XX.aX.XX", "XXX.a.XXX", "X.aXX.X", "XX.Xa.XX"])
    func twoFoursOnOneLineAreADoubleFour(_ row: String) {
        let picture = Picture(row)
        #expect(picture.forbidden("a") == .doubleFour, "\(row)")
        #expect(picture.evaluate("a", .white) == .ordinary)
        #expect(picture.evaluate("a", .black, .freestyle) == .ordinary)
        #expect(Rules.shape(of: picture["a"], for: .black, on: picture.board, ruleset: .renju).fours == 2)
    }

    @Test func aStraightFourIsOneFour() {
        let picture = Picture(".XXaX.")
        #expect(picture.forbidden("a") == nil)
        let shape = Rules.shape(of: picture["a"], for: .black, on: picture.board, ruleset: .renju)
        #expect(shape.fours == 1)
        #expect(shape.fivePoints == [Point(row: 3, col: 3), Point(row: 3, col: 8)])
    }

    @Test func fourThreeIsAllowed() {
        let closedFour = Picture("""
            .....
            ....X
            ....X
            OXXXa
            .....
            .....
            """)
        #expect(closedFour.forbidden("a") == nil)
        #expect(closedFour.evaluate("a") == .ordinary)
        let splitFour = Picture("""
            .......
            ....X..
            ....X..
            XX.Xa..
            .......
            .......
            """)
        #expect(splitFour.forbidden("a") == nil)
    }

    // MARK: Overline and five

    @Test(arguments: ["XXXaXX", "XaXXXX", "aXXXXX", "XXaXXXX", "XXXXaXXXX"])
    func overlineIsForbiddenForBlack(_ row: String) {
        let picture = Picture(row)
        #expect(picture.forbidden("a") == .overline)
        let white = Picture(row.replacingX(with: "O"))
        guard case .win(let line) = white.evaluate("a", .white) else {
            Issue.record("White's overline wins under renju")
            return
        }
        #expect(line.count == row.count)
    }

    @Test func aFiveWinsEvenWhenItAlsoMakesADoubleFour() {
        let picture = Picture("""
            .X..X
            ..X.X
            ...XX
            XXXXa
            .....
            """)
        #expect(picture.forbidden("a") == nil)
        #expect(picture.evaluate("a") == .win(line: (3...7).map { Point(row: 6, col: $0) }))
    }

    @Test func aFiveWinsEvenWhenItAlsoMakesADoubleThree() {
        let picture = Picture("""
            .......X
            ......X.
            .....X..
            ....X...
            .XXa....
            ...X....
            ...X....
            ........
            """)
        #expect(picture.forbidden("a") == nil)
        #expect(picture.evaluate("a") == .win(line: (0...4).map { Point(row: 3 + $0, col: 10 - $0) }))
        var withoutFive = picture.board
        withoutFive[Point(row: 3, col: 10)] = nil
        #expect(Rules.forbiddenReason(at: picture["a"], on: withoutFive) == .doubleThree, "four-three-three without the five")
    }

    @Test func aFiveNextToBlackOverlineShapeIsStillAFive() {
        // X.XXXXa: the five is a..; the stone beyond the gap does not make it six.
        let picture = Picture("X.XXXXa.")
        #expect(picture.evaluate("a") == .win(line: (5...9).map { Point(row: 3, col: $0) }))
    }

    // MARK: Listing

    @Test func forbiddenPointsAreListedWithReasons() throws {
        let picture = Picture("""
            ...............
            ...X...........
            ...X...........
            .XXa...........
            ...............
            ...............
            ...............
            ..X.XbX.X......
            ...............
            ...............
            ...............
            ...............
            ...............
            ......XXXcXX...
            ...............
            """, top: 0, left: 0)
        #expect(Rules.forbiddenPoints(on: picture.board) == [
            ForbiddenPoint(point: picture["a"], reason: .doubleThree),
            ForbiddenPoint(point: picture["b"], reason: .doubleFour),
            ForbiddenPoint(point: picture["c"], reason: .overline),
        ])
    }

    @Test func listingSkipsFakeThreesAndFives() {
        let fake = Picture("""
            .........
            .........
            ....XX...
            ....XX...
            O.XXab...
            .....X...
            .....X...
            .....X...
            .........
            """)
        let listed = Rules.forbiddenPoints(on: fake.board)
        #expect(!listed.map(\.point).contains(fake["a"]))
        #expect(listed.contains(ForbiddenPoint(point: fake["b"], reason: .overline)))
        let five = Picture("XXXXa.XX")
        #expect(Rules.forbiddenPoints(on: five.board).isEmpty, "a completes an exact five, which is never forbidden")
        #expect(Rules.forbiddenPoints(on: try! Board(size: 19)).isEmpty)
    }

    @Test func noAllowedMoveForBlackWhenOnlyForbiddenPointsRemain() throws {
        var board = try Board(size: 15)
        for point in board.points {
            board[point] = (point.row + point.col / 2).isMultiple(of: 2) ? .black : .white
        }
        for col in 0..<7 { board[Point(row: 7, col: col)] = .black }
        let hole = Point(row: 7, col: 3)
        board[hole] = nil
        #expect(Rules.evaluate(hole, for: .black, on: board, ruleset: .renju) == .forbidden(.overline))
        #expect(!Rules.hasAllowedMove(for: .black, on: board, ruleset: .renju))
        #expect(Rules.hasAllowedMove(for: .white, on: board, ruleset: .renju))
        #expect(Rules.hasAllowedMove(for: .black, on: board, ruleset: .standard))
    }
}

extension String {
    func replacingX(with other: Character) -> String {
        String(map { $0 == "X" ? other : $0 })
    }
}

/// The engine-facing helpers in `Rules`.
@Suite struct RulesHelperTests {
    @Test func shapeCountsThreatsForEitherColour() {
        let openThree = Picture(".XaX..")
        let three = Rules.shape(of: openThree["a"], for: .black, on: openThree.board, ruleset: .renju)
        #expect(three == MoveShape(winningLine: nil, makesOverline: false, fours: 0, threes: 1, fivePoints: [], forbidden: nil))

        let closedFour = Picture("OXXXa.")
        let four = Rules.shape(of: closedFour["a"], for: .black, on: closedFour.board, ruleset: .standard)
        #expect(four.fours == 1)
        #expect(four.threes == 0)
        #expect(four.fivePoints == [Point(row: 3, col: 8)])

        let doubleThree = Picture("""
            ...X...
            ...X...
            .XXa...
            .......
            """)
        let black = Rules.shape(of: doubleThree["a"], for: .black, on: doubleThree.board, ruleset: .renju)
        #expect(black.threes == 2)
        #expect(black.forbidden == .doubleThree)
        let white = Rules.shape(of: doubleThree["a"], for: .white, on: doubleThree.board, ruleset: .renju)
        #expect(white.threes == 0, "Black's stones are no threes for White")
        #expect(white.forbidden == nil)

        let overline = Picture("XXXaXX")
        let six = Rules.shape(of: overline["a"], for: .black, on: overline.board, ruleset: .standard)
        #expect(six.makesOverline)
        #expect(six.winningLine == nil)
        let win = Rules.shape(of: overline["a"], for: .black, on: overline.board, ruleset: .freestyle)
        #expect(!win.makesOverline)
        #expect(win.winningLine?.count == 6)
    }

    @Test func twoStraightFoursGiveFourFivePoints() {
        let picture = Picture("""
            ....X
            ....X
            ....X
            .XXXa
            .....
            """)
        let shape = Rules.shape(of: picture["a"], for: .white, on: picture.board.replacingBlack(), ruleset: .freestyle)
        #expect(shape.fours == 2)
        #expect(shape.fivePoints == [
            Point(row: 2, col: 7), Point(row: 6, col: 3), Point(row: 6, col: 8), Point(row: 7, col: 7),
        ])
    }

    @Test func winningLineThroughAStoneOnTheBoard() {
        let picture = Picture("XXXXXa")
        #expect(Rules.winningLine(through: Point(row: 3, col: 5), on: picture.board, ruleset: .standard)
            == (3...7).map { Point(row: 3, col: $0) })
        #expect(Rules.winningLine(through: picture["a"], on: picture.board, ruleset: .standard) == nil, "empty point")
        #expect(Rules.winningLine(through: Point(row: 99, col: 0), on: picture.board, ruleset: .standard) == nil)
        let four = Picture("XXXX.")
        #expect(Rules.winningLine(through: Point(row: 3, col: 3), on: four.board, ruleset: .freestyle) == nil)
    }

    @Test func forbiddenReasonIsAboutBlackUnderRenjuOnly() {
        let picture = Picture("XXXaXX")
        #expect(Rules.forbiddenReason(at: picture["a"], on: picture.board) == .overline)
        #expect(Rules.evaluate(picture["a"], for: .black, on: picture.board, ruleset: .caro) == .ordinary)
    }
}

extension Board {
    /// The same position with every black stone turned white.
    func replacingBlack() -> Board {
        var board = self
        for point in points where board[point] == .black { board[point] = .white }
        return board
    }
}
