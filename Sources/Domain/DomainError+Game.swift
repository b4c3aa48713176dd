/// The game's refusals, as values the web app can compare with `==` (for example to reload the
/// board on `.positionChanged`) and whose messages are written for players.
extension DomainError {
    /// The board size is not one the site offers.
    public static func unsupportedBoardSize(_ size: Int) -> DomainError {
        DomainError("A board is 15×15 or 19×19; \(size)×\(size) is not offered.")
    }

    /// The game has ended (won, drawn or resigned).
    public static let gameOver = DomainError("This game is over; no more moves can be made.")

    /// The move answered a position that has moved on (a double click, or a second tab).
    public static let positionChanged = DomainError(
        "This position has changed since you chose your move; the move you answered was already played. Look at the board again.")

    /// It is the other colour's turn.
    public static func notYourTurn(toMove: Stone) -> DomainError {
        DomainError("It is \(toMove.displayName)'s turn, not yours.")
    }

    /// The point is not on the board.
    public static func offBoard(size: Int) -> DomainError {
        DomainError("That point is off the \(size)×\(size) board.")
    }

    /// A stone already stands on the point.
    public static let occupied = DomainError("There is already a stone on that point.")

    /// A renju forbidden move by Black, with the reason spelled out.
    public static func forbidden(_ reason: ForbiddenReason) -> DomainError {
        DomainError(reason.explanation)
    }
}
