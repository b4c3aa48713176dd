import Domain
import GRDB
import Store

/// Games as replayed through the rules, by id, so that loading a game replays only the moves made
/// since this process last loaded it: a 200-move game otherwise re-checks 200 moves on every move and
/// every page view. Moves are only ever appended and game ids are never reused (AUTOINCREMENT), so
/// the first k moves of a game never change and a replay of them stays right. Only games read from
/// committed rows are kept (never one whose new move is not yet committed).
final class ReplayCache: Sendable {
    private let games: ProcessCache<Int64, Game>

    init(capacity: Int) { games = ProcessCache(capacity: capacity) }

    /// Game `record` with all its stored moves, resignation applied, from `db`.
    func game(_ db: Database, _ record: GameRecord) throws -> Game {
        let ruleset = try? Ruleset(parsing: record.ruleset)
        let known = games[record.id].flatMap { game in
            game.ruleset == ruleset && game.size == record.boardSize && game.moves.count <= record.moveCount ? game : nil
        }
        let newer = known?.moves.count == record.moveCount ? [] : try Store.moves(db, gameID: record.id, after: known?.moves.count ?? 0)
        do throws(DomainError) {
            var game: Game
            if let known { game = known } else { game = try Game(size: record.boardSize, ruleset: Ruleset(parsing: record.ruleset)) }
            for move in newer {
                do throws(DomainError) {
                    try game.play(Point(row: move.row, col: move.col))
                } catch {
                    throw DomainError("Move \(move.number) cannot be replayed: \(error.message)")
                }
            }
            if !newer.isEmpty || known == nil { games[record.id] = game }
            if let result = record.result, result.hasSuffix(":resign"), !game.status.isOver {
                try game.resign(result.hasPrefix("black") ? .white : .black)
            }
            return game
        } catch {
            // Stored games are only ever written through the same rules; a mismatch is a bug, not bad input.
            throw App.StoredGameCorrupt(id: record.id, reason: error.message)
        }
    }
}
