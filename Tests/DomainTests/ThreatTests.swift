import Domain
import Testing

/// Threat detection on hand-drawn positions; "m" is the move examined.
@Suite struct ThreatTests {
    private func threats(_ picture: Picture, _ stone: Stone = .black, _ ruleset: Ruleset = .freestyle) -> [Threat] {
        Threats.threats(of: picture["m"], for: stone, on: picture.board, ruleset: ruleset)
    }

    @Test func fiveIsReportedAlone() {
        let picture = Picture("XXXXm")
        let found = threats(picture)
        #expect(found.map(\.kind) == [.five])
        #expect(found.first?.line.count == 5)
        #expect(found.first?.defencePoints == [])
    }

    @Test func straightFourListsBothFivePoints() {
        let picture = Picture("aXXXmb")
        let found = threats(picture)
        #expect(found.map(\.kind) == [.straightFour])
        #expect(found.first?.defencePoints == [picture["a"], picture["b"]])
    }

    @Test func fourHasItsFivePointAsTheAnswer() {
        let picture = Picture("OXXXma")
        let found = threats(picture)
        #expect(found.map(\.kind) == [.four])
        #expect(found.first?.defencePoints == [picture["a"]])
        #expect(found.first?.line.count == 4)
    }

    @Test func caroFourCanAlsoBeAnsweredByClosingTheFarEnd() {
        let picture = Picture("OXXXmae")
        #expect(threats(picture, .black, .caro).first?.defencePoints == [picture["a"], picture["e"]])
        #expect(threats(picture, .black, .standard).first?.defencePoints == [picture["a"]])
    }

    @Test func openThreeIsAnsweredNextToIt() {
        let picture = Picture(".aXXmb.")
        let found = threats(picture)
        #expect(found.map(\.kind) == [.openThree])
        #expect(found.first?.defencePoints == [picture["a"], picture["b"]])
        #expect(found.first?.line == [picture["a"].offset(0, 1), picture["a"].offset(0, 2), picture["m"]])
    }

    @Test func brokenThreeIsAnsweredInTheGapOrAtEitherEnd() {
        let picture = Picture(".aXbXmc.")
        let found = threats(picture)
        #expect(found.map(\.kind) == [.brokenThree])
        #expect(found.first?.defencePoints == [picture["a"], picture["b"], picture["c"]])
    }

    @Test func closedThreeIsNoThreat() {
        #expect(threats(Picture("OXXm..")).isEmpty)
        #expect(threats(Picture("O.XXm.O")).isEmpty, "O.XXX.O can never become a straight four")
    }

    @Test func overlineIsNoFiveUnderExactRules() {
        let picture = Picture("OXXmXXXO")
        #expect(threats(picture, .black, .freestyle).map(\.kind) == [.five])
        #expect(threats(picture, .black, .standard).isEmpty)
        #expect(threats(picture, .black, .renju).isEmpty, "forbidden for Black")
        #expect(threats(Picture("XOOmOOOX"), .white, .renju).map(\.kind) == [.five], "White's overline wins in renju")
    }

    @Test func caroFiveClosedAtBothEndsIsNoFive() {
        let picture = Picture("OXXXXmO")
        #expect(threats(picture, .black, .caro).isEmpty)
        #expect(threats(picture, .black, .standard).map(\.kind) == [.five])
    }

    @Test func forbiddenPointsAreNoBlackThreats() {
        let picture = Picture("""
            ...X...
            ...X...
            .XXm...
            .......
            """)
        #expect(threats(picture, .black, .renju).isEmpty, "a double three is forbidden")
        #expect(threats(picture, .black, .standard).map(\.kind) == [.openThree, .openThree])
        #expect(threats(picture, .white, .renju).isEmpty)
    }

    @Test func blackThreeWhoseStraightFourPointIsForbiddenIsNoThree() {
        // Horizontally O.XXm b: b would be an overline for Black, so only the vertical three counts.
        let picture = Picture("""
            .........
            .........
            ....XX...
            ....XX...
            O.XXmb...
            .....X...
            .....X...
            .....X...
            .........
            """)
        let renju = threats(picture, .black, .renju)
        #expect(renju.count == 1)
        #expect(renju.allSatisfy { threat in threat.line.allSatisfy { $0.col == picture["m"].col } })
        #expect(threats(picture, .black, .standard).count == 2)
    }

    @Test func boardScanFindsEveryKindStrongestFirst() {
        let picture = Picture("""
            ..........
            .XXX......
            ..........
            ......OOOO
            """)
        let black = Threats.threats(for: .black, on: picture.board, ruleset: .freestyle)
        #expect(black.first?.kind == .straightFour)
        #expect(black.contains { $0.kind == .four })
        let white = Threats.threats(for: .white, on: picture.board, ruleset: .freestyle, strongerThan: .four)
        #expect(white.first?.kind == .five)
        #expect(white.allSatisfy { $0.kind <= .four })
    }

    @Test func emptyAndFullBoardsHaveNoThreats() throws {
        let empty = try Board(size: 15)
        #expect(Threats.threats(for: .black, on: empty, ruleset: .renju).isEmpty)
        var full = try Board(size: 15)
        for point in full.points { full[point] = (point.row + point.col / 2).isMultiple(of: 2) ? .black : .white }
        for ruleset in Ruleset.allCases {
            #expect(Threats.threats(for: .black, on: full, ruleset: ruleset).isEmpty)
            #expect(Threats.threats(of: Point(row: 0, col: 0), for: .white, on: full, ruleset: ruleset).isEmpty)
            #expect(Threats.threats(of: Point(row: -1, col: 40), for: .white, on: full, ruleset: ruleset).isEmpty)
        }
    }
}
