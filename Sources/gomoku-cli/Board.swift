/// A point of the board: `row` 0 is the top row, as in the API's `board` and `row`.
struct Point: Hashable, Sendable {
    var row: Int
    var col: Int
}

/// Coordinates as people write them: column letters a… from the left (a–o on 15×15, a–s on 19×19,
/// no letter skipped) and row numbers from the bottom — "h8" is the centre of a 15×15 board.
enum Notation {
    static func columnLetter(_ col: Int) -> Character {
        Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(col)))
    }

    static func name(_ point: Point, size: Int) -> String {
        "\(columnLetter(point.col))\(size - point.row)"
    }

    /// "h8" (any case, surrounding spaces ignored) → the point, or nil when it is not on the board.
    static func parse(_ text: String, size: Int) -> Point? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let letter = trimmed.unicodeScalars.first, ("a"..."z").contains(letter),
              let number = Int(trimmed.dropFirst()), (1...size).contains(number) else { return nil }
        let col = Int(letter.value - Unicode.Scalar("a").value)
        guard col < size else { return nil }
        return Point(row: size - number, col: col)
    }

    static func range(size: Int) -> String { "a1-\(columnLetter(size - 1))\(size)" }
}

/// The board as plain text, for `show` (and anything that is not the full screen):
///
///         a b c d e f g h i j k l m n o
///     15  . . . . . . . . . . . . . . .  15
///     …
///      8  . . . . . . .(x)o . . . . . .   8
///
/// The last move sits in parentheses; the stones of a winning line are capitals.
struct BoardText {
    let game: Game

    var lines: [String] {
        let size = game.size
        let header = "    " + (0..<size).map { String(Notation.columnLetter($0)) }.joined(separator: " ")
        let last = game.moves.last.map { Point(row: $0.row, col: $0.col) }
        let winning = Set(game.winningLine.map { Point(row: $0.row, col: $0.col) })
        var lines = [header]
        for row in 0..<size {
            // Cells at odd positions, separators at even ones; the last move's separators become "(" ")".
            var characters = [Character](repeating: " ", count: 2 * size + 1)
            for col in 0..<size {
                let stone = game.stone(row: row, col: col)
                characters[2 * col + 1] = winning.contains(Point(row: row, col: col)) ? Character(stone.uppercased()) : stone
            }
            if let last, last.row == row {
                characters[2 * last.col] = "("
                characters[2 * last.col + 2] = ")"
            }
            lines.append(pad(size - row) + " " + String(characters) + " " + pad(size - row))
        }
        lines.append(header)
        return lines
    }

    private func pad(_ number: Int) -> String { number < 10 ? " \(number)" : "\(number)" }
}
