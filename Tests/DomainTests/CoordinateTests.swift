import Domain
import Testing

@Suite struct CoordinateTests {
    @Test(arguments: [
        ("a1", 15, 14, 0), ("o15", 15, 0, 14), ("a15", 15, 0, 0), ("o1", 15, 14, 14), ("h8", 15, 7, 7),
        ("a1", 19, 18, 0), ("s19", 19, 0, 18), ("j10", 19, 9, 9), ("s1", 19, 18, 18), ("b3", 15, 12, 1),
    ])
    func parses(_ text: String, _ size: Int, _ row: Int, _ col: Int) throws {
        #expect(try Point(text, boardSize: size) == Point(row: row, col: col))
        #expect(Point(row: row, col: col).notation(boardSize: size) == text)
    }

    @Test func parsingIgnoresCaseAndSurroundingSpaces() throws {
        #expect(try Point("H8", boardSize: 15) == Point(row: 7, col: 7))
        #expect(try Point("  k11\n", boardSize: 15) == Point(row: 4, col: 10))
    }

    @Test(arguments: [15, 19])
    func everyPointRoundTrips(_ size: Int) throws {
        let board = try Board(size: size)
        var seen = Set<String>()
        for point in board.points {
            let text = try #require(board.notation(point))
            #expect(try board.point(text) == point)
            seen.insert(text)
        }
        #expect(seen.count == size * size)
    }

    @Test func centerIsH8AndJ10() throws {
        #expect(try Board(size: 15).notation(Board(size: 15).center) == "h8")
        #expect(try Board(size: 19).notation(Board(size: 19).center) == "j10")
    }

    @Test(arguments: [
        ("", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("   ", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("h", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("8", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("8h", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("hh", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("h8x", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("h08", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("h-1", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("h+8", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("h 8", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("h1234", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("h٣", 15, "Enter a point as a column letter (a to o) and a row number (1 to 15), like h8."),
        ("é5", 15, "Column \"é\" is not on the board; columns go from a to o."),
        ("p1", 15, "Column \"p\" is not on the board; columns go from a to o."),
        ("t1", 19, "Column \"t\" is not on the board; columns go from a to s."),
        ("h0", 15, "Row 0 is not on the board; rows go from 1 to 15."),
        ("h16", 15, "Row 16 is not on the board; rows go from 1 to 15."),
        ("a20", 19, "Row 20 is not on the board; rows go from 1 to 19."),
        ("z9", 19, "Column \"z\" is not on the board; columns go from a to s."),
    ])
    func refusesBadNotation(_ text: String, _ size: Int, _ message: String) {
        #expect(throws: DomainError(message)) { try Point(text, boardSize: size) }
    }

    @Test func columnsOfThe19BoardAreRefusedOnThe15Board() throws {
        #expect(throws: DomainError.self) { try Point("p16", boardSize: 15) }
        #expect(try Point("p16", boardSize: 19) == Point(row: 3, col: 15))
    }

    @Test func notationNeedsAPointOnTheBoardAndASupportedSize() {
        #expect(Point(row: -1, col: 0).notation(boardSize: 15) == nil)
        #expect(Point(row: 0, col: 15).notation(boardSize: 15) == nil)
        #expect(Point(row: 15, col: 0).notation(boardSize: 15) == nil)
        #expect(Point(row: 18, col: 18).notation(boardSize: 19) == "s1")
        #expect(Point(row: 0, col: 0).notation(boardSize: 13) == nil)
        #expect(throws: DomainError.unsupportedBoardSize(13)) { try Point("a1", boardSize: 13) }
    }

    @Test func pointsOrderRowMajorAndOffset() {
        #expect(Point(row: 0, col: 5) < Point(row: 1, col: 0))
        #expect(Point(row: 2, col: 1) < Point(row: 2, col: 3))
        #expect(Point(row: 5, col: 5).offset(1, -1, by: 3) == Point(row: 8, col: 2))
        #expect(Point(row: 5, col: 5).offset(0, 1) == Point(row: 5, col: 6))
    }
}
