/// Which five-in-a-row rules a game is played under. The raw value is what gets stored.
public enum Ruleset: String, Sendable, Hashable, CaseIterable, Codable {
    /// Five or more in a row wins, for both colours.
    case freestyle
    /// Exactly five wins; six or more does not, for both colours.
    case standard
    /// RIF renju: Black may not make a double three, a double four or an overline; White may.
    case renju
    /// Vietnamese caro: exactly five wins, unless the opponent blocks both of its ends.
    case caro

    /// The name shown to players.
    public var displayName: String {
        switch self {
        case .freestyle: "Freestyle"
        case .standard: "Standard"
        case .renju: "Renju"
        case .caro: "Caro"
        }
    }

    /// One sentence for the rules page and the new-game form.
    public var summary: String {
        switch self {
        case .freestyle: "Five or more stones in a row win."
        case .standard: "Exactly five stones in a row win; six or more do not."
        case .renju: "Exactly five wins for Black, five or more for White; Black may not make a double three, a double four or six in a row."
        case .caro: "Exactly five stones in a row win, unless the opponent has already closed both ends."
        }
    }

    /// Parses a stored or submitted name ("renju"); other text gives a message for the player.
    public init(parsing text: String) throws(DomainError) {
        guard let ruleset = Ruleset(rawValue: text.trimmingWhitespace().lowercased()) else {
            throw DomainError("Choose one of the rule sets: freestyle, standard, renju or caro.")
        }
        self = ruleset
    }

    /// Whether Black's moves are checked for double threes, double fours and overlines.
    public var hasForbiddenMoves: Bool { self == .renju }
}
