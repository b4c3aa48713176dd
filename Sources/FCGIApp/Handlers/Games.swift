import Domain
import Foundation
import GRDB
import Platform
import Store

/// The game page and its moves. A move is checked, stored and published in one transaction, so the
/// board every player and spectator sees is exactly what was committed.
extension App {
    static func gameTopic(_ id: Int64) -> String { "game:\(id)" }

    func gamePage(_ context: RequestContext, id: Int64) throws -> Response {
        guard let user = context.user else {
            return .redirect(to: Route.login.path + "?next=" + Route.game(id).path.urlQueryEncoded, for: context.request)
        }
        // Kept on this thread until the next commit anywhere: the same game's page between two moves.
        let (record, game, present, latest) = try store.read(memoizedAs: GamePageRead(id: id)) { db in
            guard let record = try Store.game(db, id: id) else { throw HTTPError(.notFound, "There is no game \(id).") }
            return (record, try replays.game(db, record),
                    try Store.presentUsers(db, topic: Self.gameTopic(id)), try Outbox.latestID(db))
        }
        let role = user.id == record.blackID ? "black" : user.id == record.whiteID ? "white" : "spectator"
        return try memoizedPage("pages/game", context, memo: gamePages, key: GamePageKey(id: id, role: role),
                                input: GamePageInput(record: record, present: present),
                                topics: [Self.gameTopic(id)], latestID: latest) { viewer in
            // One flat context: every name a template looks up inside a section is searched for in
            // each enclosing context first, and lookups are most of Mustache's rendering time.
            (title: "\(record.blackName) vs \(record.whiteName)", values: [
                "id": id, "black_name": record.blackName, "white_name": record.whiteName,
                "black_username": record.blackUsername, "white_username": record.whiteUsername,
                "ruleset": game.ruleset.displayName, "ruleset_summary": game.ruleset.summary, "size": record.boardSize,
                "role": role, "is_player": role != "spectator", "can_resign": role != "spectator" && !game.status.isOver,
                "resign_path": Route.gameResign(id).path,
                "board": BoardView(record: record, game: game).renderPage(csrfToken: viewer.csrfToken, boards: boards),
                "presence": try presenceFragment(topic: Self.gameTopic(id), users: present, oob: false),
            ])
        }
    }

    /// A game page is kept per game and role (see `PageMemo`), rendered anew when the game's row or
    /// who is here changes.
    struct GamePageKey: Hashable { let id: Int64; let role: String }
    struct GamePageInput: Equatable { let record: GameRecord; let present: [User] }
    /// What a game page reads from the database, by game (see `Store.read(memoizedAs:_:)`).
    struct GamePageRead: Hashable { let id: Int64 }

    func gameMove(_ context: RequestContext, id: Int64) throws -> Response {
        guard let user = context.user else { throw HTTPError(.forbidden, "Sign in to play.") }
        let point = try Self.movePoint(context.form)
        let expected: Int?
        if let text = context.form.value("move"), !text.isEmpty {
            guard let number = Int(text), number > 0 else { throw HTTPError(.badRequest, "The move number must be a positive whole number.") }
            expected = number
        } else {
            expected = nil
        }
        let html = try playMove(user, gameID: id, at: point, expectedMoveNumber: expected).html
        return gameChangeAnswer(context, id: id, html: html)
    }

    func gameResign(_ context: RequestContext, id: Int64) throws -> Response {
        guard let user = context.user else { throw HTTPError(.forbidden, "Sign in to play.") }
        return gameChangeAnswer(context, id: id, html: try resignGame(user, gameID: id).html)
    }

    // MARK: The services (pages and the API)

    /// Plays `point` for `user` in game `gameID`: checked, stored and pushed to every page of the game,
    /// the players' dashboards and the games lists, in one transaction. `expectedMoveNumber` (the number
    /// of this move) turns a repeated or stale submission into a 409. The html is the mover's answer.
    func playMove(_ user: User, gameID id: Int64, at point: Point, expectedMoveNumber expected: Int?) throws
        -> (record: GameRecord, game: Game, html: String) {
        try store.publishing { db in
            let (record, loaded) = try loadForChange(db, id: id)
            var game = loaded
            let stone = try Self.colour(of: user, in: record, game: game)
            if let expected, expected > game.moveNumber, !game.status.isOver {
                throw HTTPError(.unprocessableContent, "There is no move \(expected) yet; the next move is number \(game.moveNumber).")
            }
            // The stone that loses its last-move mark in the pushed update.
            let previous = game.lastMove?.point
            do throws(DomainError) {
                try game.play(point, as: stone, expectedMoveNumber: expected)
            } catch {
                throw Self.httpError(error)
            }
            try Store.recordMove(db, gameID: id, number: game.moves.count, row: point.row, col: point.col, result: Self.result(of: game))
            let fragments = BoardView(record: record, game: game).renderMove(previous: previous)
            try Outbox.publish(db, topic: Self.gameTopic(id), html: fragments.push)
            try publishDashboardGames(db, to: [record.blackID, record.whiteID])
            try publishGameRow(db, id: id)
            return (record, game, fragments.answer)
        }
    }

    /// `user` resigns game `gameID`; pushed like a move.
    func resignGame(_ user: User, gameID id: Int64) throws -> (record: GameRecord, game: Game, html: String) {
        try store.publishing { db in
            let (record, loaded) = try loadForChange(db, id: id)
            var game = loaded
            guard user.id == record.blackID || user.id == record.whiteID else {
                throw HTTPError(.forbidden, "Only the players can resign this game.")
            }
            let stone: Stone = user.id == record.blackID && (user.id != record.whiteID || game.toMove == .black) ? .black : .white
            do throws(DomainError) { try game.resign(stone) } catch { throw Self.httpError(error) }
            try Store.finishGame(db, gameID: id, result: Self.result(of: game) ?? "\(stone.opponent.rawValue):resign")
            let html = BoardView(record: record, game: game).render(oob: true)
            try Outbox.publish(db, topic: Self.gameTopic(id), html: html)
            try publishDashboardGames(db, to: [record.blackID, record.whiteID])
            try publishGameRow(db, id: id)
            return (record, game, html)
        }
    }

    /// htmx and the bridge get the swapped fragments; a plain form post goes back to the page.
    private func gameChangeAnswer(_ context: RequestContext, id: Int64, html: String) -> Response {
        if context.bridge != nil || context.request.htmx.isHTMX {
            return Response.html(html).reswap(.none)
        }
        return .redirect(to: Route.game(id).path, for: context.request)
    }

    private func loadForChange(_ db: Database, id: Int64) throws -> (GameRecord, Game) {
        guard let record = try Store.game(db, id: id) else { throw HTTPError(.notFound, "There is no game \(id).") }
        return (record, try replays.game(db, record))
    }

    struct StoredGameCorrupt: Error { let id: Int64; let reason: String }

    /// The colour `user` plays; someone playing both sides (a game against oneself) plays whoever is to move.
    static func colour(of user: User, in record: GameRecord, game: Game) throws -> Stone {
        switch (user.id == record.blackID, user.id == record.whiteID) {
        case (true, true): return game.toMove
        case (true, false): return .black
        case (false, true): return .white
        case (false, false): throw HTTPError(.forbidden, "You are watching this game; only its players can move.")
        }
    }

    /// `at=ROW,COL` (the board's buttons) or `row` and `col` fields (API clients, the benchmark).
    static func movePoint(_ form: FormFields) throws -> Point {
        let row: Int?, col: Int?
        if let at = form.value("at") {
            let parts = at.split(separator: ",")
            row = parts.count == 2 ? Int(parts[0]) : nil
            col = parts.count == 2 ? Int(parts[1]) : nil
        } else {
            row = form.value("row").flatMap { Int($0) }
            col = form.value("col").flatMap { Int($0) }
        }
        guard let row, let col else { throw HTTPError(.badRequest, "Choose a point on the board (row and column).") }
        return Point(row: row, col: col)
    }

    /// `black:five`, `white:resign`, `draw:full`, or nil while the game goes on.
    static func result(of game: Game) -> String? {
        switch game.status {
        case .ongoing: nil
        case .won(let stone, _): "\(stone.rawValue):five"
        case .draw: "draw:full"
        case .resigned(let stone): "\(stone.opponent.rawValue):resign"
        }
    }

    /// Refusals the player must see: a stale position or a finished game is a conflict (409),
    /// anything else about the move is unprocessable (422).
    static func httpError(_ error: DomainError) -> HTTPError {
        let conflict = error == .positionChanged || error == .gameOver || error.message.hasPrefix("It is ")
        return HTTPError(conflict ? .conflict : .unprocessableContent, error.message)
    }
}
