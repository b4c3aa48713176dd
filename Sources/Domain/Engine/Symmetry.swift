/// One of the eight symmetries of a square board (rotations and reflections).
///
/// Every ruleset treats the four line directions alike, so a position and its images under
/// these symmetries are the same problem; puzzles are deduplicated across them.
public enum BoardSymmetry: Int, Sendable, Hashable, CaseIterable {
    case identity
    case rotate90
    case rotate180
    case rotate270
    case mirrorColumns
    case mirrorRows
    case transpose
    case antiTranspose

    /// The image of `point` on a board of `size` lines.
    public func apply(to point: Point, size: Int) -> Point {
        let last = size - 1
        let (row, col) = (point.row, point.col)
        switch self {
        case .identity: return Point(row: row, col: col)
        case .rotate90: return Point(row: col, col: last - row)
        case .rotate180: return Point(row: last - row, col: last - col)
        case .rotate270: return Point(row: last - col, col: row)
        case .mirrorColumns: return Point(row: row, col: last - col)
        case .mirrorRows: return Point(row: last - row, col: col)
        case .transpose: return Point(row: col, col: row)
        case .antiTranspose: return Point(row: last - col, col: last - row)
        }
    }

    /// The symmetry that undoes this one.
    public var inverse: BoardSymmetry {
        switch self {
        case .rotate90: .rotate270
        case .rotate270: .rotate90
        default: self
        }
    }

    /// The image of a whole board.
    public func apply(to board: Board) -> Board {
        var image = board
        for row in 0..<board.size {
            for col in 0..<board.size {
                let target = apply(to: Point(row: row, col: col), size: board.size)
                image.cells[target.row * board.size + target.col] = board.code(row, col)
            }
        }
        return image
    }
}

/// Keys that are equal exactly when two positions are the same up to a board symmetry.
public enum CanonicalPosition {
    /// The canonical key of a position with `toMove` to play under `ruleset`.
    ///
    /// The board part is the lexicographically smallest cell encoding over the eight symmetries,
    /// written as hexadecimal (two bits a point, fixed length, so string order matches cell order).
    public static func key(of board: Board, toMove: Stone, ruleset: Ruleset) -> String {
        let encoding = BoardSymmetry.allCases
            .map { cellCodes(of: board, under: $0) }
            .min { $0.lexicographicallyPrecedes($1) } ?? []
        let side = toMove == .black ? "b" : "w"
        return "\(ruleset.rawValue)/\(board.size)/\(side)/\(hex(encoding))"
    }

    /// The symmetry that turns `board` into its canonical orientation (the first of several if tied).
    public static func canonicalSymmetry(of board: Board) -> BoardSymmetry {
        var best = BoardSymmetry.identity
        var bestCodes = cellCodes(of: board, under: .identity)
        for symmetry in BoardSymmetry.allCases.dropFirst() {
            let codes = cellCodes(of: board, under: symmetry)
            if codes.lexicographicallyPrecedes(bestCodes) {
                best = symmetry
                bestCodes = codes
            }
        }
        return best
    }

    /// The cells of the board's image under `symmetry`, row by row.
    static func cellCodes(of board: Board, under symmetry: BoardSymmetry) -> [UInt8] {
        symmetry.apply(to: board).cells
    }

    /// Two bits per cell, most significant first, padded with empty cells to whole hex digits.
    static func hex(_ codes: [UInt8]) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(codes.count / 2 + 1)
        var index = 0
        while index < codes.count {
            let high = codes[index] & 3
            let low = index + 1 < codes.count ? codes[index + 1] & 3 : 0
            text.append(digits[Int(high << 2 | low)])
            index += 2
        }
        return text
    }
}
