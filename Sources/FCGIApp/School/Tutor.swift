import Domain

/// What the student said, understood.
enum StudentMessage: Equatable {
    case answer(String)
    case hint
    case skip
    case unclear

    /// "h8", "H8", "I think h8", "hint", "?", "skip", "next" … anything else is unclear.
    init(_ text: String) {
        let lowered = text.lowercased().trimmingCharacters(in: .whitespaces)
        if ["hint", "help", "?", "a hint", "hint please"].contains(lowered) { self = .hint; return }
        if ["skip", "next", "show", "give up", "solution"].contains(lowered) { self = .skip; return }
        let words = lowered.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        if let point = words.last(where: { word in
            guard let letter = word.first, letter.isLetter, word.count >= 2, word.count <= 3 else { return false }
            return word.dropFirst().allSatisfy(\.isNumber)
        }) {
            self = .answer(String(point))
        } else {
            self = .unclear
        }
    }
}

/// The tutor's judgement of one message about one exercise. Its reply comes in parts, composed one
/// after the other (the verdict at once, then the engine's analysis), and is pushed part by part.
struct TutorVerdict {
    enum Outcome: Equatable { case solved, wrong, hint, skipped, unclear }

    var outcome: Outcome
    /// The first part, known before any search.
    var opening: String
    /// Later parts; each may need the engine.
    var analysis: () -> [String]
}

enum Tutor {
    static let hintLimit = 3

    static func judge(_ message: StudentMessage, exercise: Exercise, hintsUsed: Int) -> TutorVerdict {
        let board = exercise.board
        switch message {
        case .hint:
            return TutorVerdict(outcome: .hint, opening: hint(exercise, number: hintsUsed + 1), analysis: { [] })
        case .skip:
            return TutorVerdict(outcome: .skipped, opening: "The answer was \(exercise.answer).",
                                analysis: { [explanation(exercise)] })
        case .unclear:
            return TutorVerdict(outcome: .unclear,
                                opening: "Tell me a point, like h8 — or click it on the board. You can also ask for a hint, or say skip.",
                                analysis: { [] })
        case .answer(let name):
            guard let point = try? board.point(name) else {
                return TutorVerdict(outcome: .unclear,
                                    opening: "\(name) is not a point of this \(board.size)×\(board.size) board: columns a–\(letter(board.size - 1)), rows 1–\(board.size).",
                                    analysis: { [] })
            }
            if let stone = board[point] {
                return TutorVerdict(outcome: .wrong, opening: "\(name) is already taken by \(stone.displayName).", analysis: { [] })
            }
            if name == exercise.answer || acceptsAlternative(point, exercise: exercise) {
                return TutorVerdict(outcome: .solved, opening: "Yes — \(name) is right!", analysis: { [explanation(exercise)] })
            }
            return TutorVerdict(outcome: .wrong, opening: "Not \(name).", analysis: { [refutation(point, name: name, exercise: exercise)] })
        }
    }

    private static func letter(_ column: Int) -> String {
        String(UnicodeScalar(UInt8(97 + column)))
    }

    /// A puzzle has one correct answer, but a student's other winning move is still a win: accepted
    /// when the engine proves it as fast as the intended one.
    private static func acceptsAlternative(_ point: Point, exercise: Exercise) -> Bool {
        guard let kind = exercise.puzzleKind, kind == .vcf || kind == .fourThree || kind == .winInOne else { return false }
        let board = exercise.board
        if kind == .winInOne {
            if case .win = Rules.evaluate(point, for: exercise.side, on: board, ruleset: exercise.rules) { return true }
            return false
        }
        let result = VCFSolver(ruleset: exercise.rules, maxDepth: exercise.length, nodeLimit: 200_000)
            .solve(board, attacker: exercise.side, startingWith: point)
        return result.outcome == .win && result.attackerMoves <= exercise.length
    }

    static func explanation(_ exercise: Exercise) -> String {
        var text = exercise.explanation
        if exercise.solution.count > 1 {
            let line = exercise.solution.enumerated().map { index, move in
                let stone = index.isMultiple(of: 2) ? exercise.side : exercise.side.opponent
                return "\(move) (\(stone.displayName))"
            }.joined(separator: " → ")
            text += (text.isEmpty ? "" : " ") + "The whole line: \(line)."
        }
        return text
    }

    static func hint(_ exercise: Exercise, number: Int) -> String {
        let area = exercise.answer.prefix(1)
        switch (exercise.puzzleKind, min(number, hintLimit)) {
        case (.winInOne, 1): return "Look for four \(exercise.side.displayName.lowercased()) stones in a line of five with one empty point."
        case (.vcf, 1): return "Every move of the win is a four: your opponent must block each one. Look for a four that leads to another."
        case (.fourThree, 1): return "Find a point on two lines at once: one with three of your stones (it becomes a four), one with two (it becomes an open three)."
        case (.defend, 1): return "Your opponent can win with fours. Find their strongest line and the point it cannot do without."
        case (.forbidden, 1): return "Black may not make a double three, a double four or an overline. Check the points where two black lines cross."
        case (_, 2): return "The answer is in column \(area)."
        default: return "The answer is \(exercise.answer) — play it to see why."
        }
    }

    /// Why the student's move fails, from the engine.
    static func refutation(_ point: Point, name: String, exercise: Exercise) -> String {
        let board = exercise.board
        let side = exercise.side
        let rules = exercise.rules
        if rules.hasForbiddenMoves, side == .black, exercise.puzzleKind != .forbidden,
           let reason = Rules.forbiddenReason(at: point, on: board) {
            return "\(name) is forbidden for Black here: \(reason.explanation)"
        }
        switch exercise.puzzleKind {
        case .forbidden:
            return "\(name) is allowed for Black. The forbidden point makes two threes, two fours or six in a row at once."
        case .defend:
            var after = board
            after[point] = side
            let threat = VCFSolver(ruleset: rules, nodeLimit: 200_000).solve(after, attacker: side.opponent)
            if threat.outcome == .win, let first = threat.line.first?.notation(boardSize: board.size) {
                let line = threat.line.compactMap { $0.notation(boardSize: board.size) }.joined(separator: ", ")
                return "After \(name), \(side.opponent.displayName) still wins, starting with \(first): \(line)."
            }
            return "\(name) does not stop every threat of \(side.opponent.displayName)."
        case .winInOne, .vcf, .fourThree, nil:
            let threats = Threats.threats(of: point, for: side, on: board, ruleset: rules)
            if let four = threats.first(where: { $0.kind == .four || $0.kind == .straightFour }) {
                let blocks = four.defencePoints.compactMap { $0.notation(boardSize: board.size) }.joined(separator: " or ")
                return "\(name) makes a four, but \(side.opponent.displayName) blocks at \(blocks) and the attack runs out."
            }
            if let three = threats.first(where: { $0.kind == .openThree || $0.kind == .brokenThree }) {
                return "\(name) makes \(three.kind.phrase), which is too slow: \(side.opponent.displayName) gets time to answer."
            }
            return "\(name) makes no threat, so \(side.opponent.displayName) is free to defend."
        }
    }
}
