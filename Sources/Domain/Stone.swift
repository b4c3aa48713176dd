/// A player's colour. Black always moves first.
public enum Stone: String, Sendable, Hashable, CaseIterable, Codable {
    case black, white

    /// The other colour, whose turn follows this one's.
    public var opponent: Stone { self == .black ? .white : .black }

    /// The name shown to players ("Black", "White").
    public var displayName: String { self == .black ? "Black" : "White" }

    /// Compact cell code used by `Board` storage.
    @usableFromInline var code: UInt8 { self == .black ? Cell.black : Cell.white }

    @usableFromInline init?(code: UInt8) {
        switch code {
        case Cell.black: self = .black
        case Cell.white: self = .white
        default: return nil
        }
    }
}

/// Raw cell values in `Board` storage; `wall` stands for "off the board" in line scans.
@usableFromInline enum Cell {
    @usableFromInline static let empty: UInt8 = 0
    @usableFromInline static let black: UInt8 = 1
    @usableFromInline static let white: UInt8 = 2
    @usableFromInline static let wall: UInt8 = 3
}
