import Domain
import Foundation
import GRDB
import Platform
import Store

/// `/games/`: every game, filtered by status, ruleset and player, a page at a time. The filters and
/// the page live in the URL (htmx pushes it), so reload, back and forward show the same list.
extension App {
    static let gamesPerPage = 20

    /// The list's filters and page from a query string, for the page and for the API alike.
    struct GameListQuery {
        let status: String
        let ruleset: String
        let player: String
        let page: Int

        init(_ query: FormFields) throws {
            status = query.value("status") ?? "active"
            guard ["active", "finished", "all"].contains(status) else {
                throw HTTPError(.badRequest, "The status filter is active, finished or all.")
            }
            ruleset = query.value("ruleset") ?? "any"
            guard ruleset == "any" || Ruleset(rawValue: ruleset) != nil else {
                throw HTTPError(.badRequest, "The ruleset filter is any, freestyle, standard, renju or caro.")
            }
            player = (query.value("player") ?? "").trimmingWhitespace()
            guard player.count <= 40 else { throw HTTPError(.badRequest, "The player filter has at most 40 characters.") }
            guard let number = Int(query.value("page") ?? "1"), (1...10_000).contains(number) else {
                throw HTTPError(.badRequest, "The page is a number from 1 to 10000.")
            }
            page = number
        }

        var filter: GameFilter {
            GameFilter(status: status == "all" ? nil : status, ruleset: ruleset == "any" ? nil : ruleset, player: player.isEmpty ? nil : player)
        }
    }

    func gameList(_ context: RequestContext) throws -> Response {
        let query = try GameListQuery(context.request.query)
        let (status, ruleset, player, pageNumber) = (query.status, query.ruleset, query.player, query.page)
        // Read before the list: a change committed in between is replayed rather than missed.
        let latest = try store.latestNotificationID()
        let (games, total) = try store.games(query.filter, limit: Self.gamesPerPage, offset: (pageNumber - 1) * Self.gamesPerPage)
        let pages = max(1, (total + Self.gamesPerPage - 1) / Self.gamesPerPage)
        func link(page: Int) -> String {
            var items = ["status=\(status)", "ruleset=\(ruleset)"]
            if !player.isEmpty { items.append("player=\(player.urlQueryEncoded)") }
            items.append("page=\(page)")
            return Route.games.path + "?" + items.joined(separator: "&")
        }
        let values: [String: Any] = [
            "games": games.map { Self.gameRowValues($0) },
            "total": total, "page": pageNumber, "pages": pages, "player": player, "has_player": !player.isEmpty, "has_games": !games.isEmpty,
            "statuses": ["active", "finished", "all"].map { ["value": $0, "label": $0.capitalized, "selected": $0 == status] },
            "rulesets": (["any"] + Ruleset.allCases.map(\.rawValue)).map {
                ["value": $0, "label": $0 == "any" ? "Any ruleset" : Ruleset(rawValue: $0)!.displayName, "selected": $0 == ruleset]
            },
            "previous": pageNumber > 1 ? link(page: pageNumber - 1) : false,
            "next": pageNumber < pages ? link(page: pageNumber + 1) : false,
        ]
        return try page("pages/games", context, title: "Games", values: values, fragment: "partials/games_results",
                        topics: [Self.gamesTopic], latestID: latest)
    }

    /// Every games list page listens here: rows of games that changed, and news of new games.
    static let gamesTopic = "games"

    static func gameRowValues(_ record: GameRecord) -> [String: Any] {
        [
            "path": Route.game(record.id).path, "id": record.id,
            "black_name": record.blackName, "white_name": record.whiteName,
            "ruleset": (Ruleset(rawValue: record.ruleset)?.displayName ?? record.ruleset), "size": record.boardSize,
            "moves": record.moveCount, "outcome": Self.outcomeText(record),
        ]
    }

    /// Pushes game `id`'s row to every open games list; a list that does not show it ignores it.
    func publishGameRow(_ db: Database, id: Int64) throws {
        guard let record = try Store.game(db, id: id) else { return }
        try Outbox.publishView(db, topic: Self.gamesTopic) {
            var values = Self.gameRowValues(record)
            values["oob"] = true
            return try views.render("partials/game_row", values)
        }
    }

    /// Tells open games lists that a game started; their rows are filtered, so they offer to refresh.
    func publishGameStarted(_ db: Database, id: Int64) throws {
        guard let record = try Store.game(db, id: id) else { return }
        let values: [String: Any] = ["oob": true,
                                     "message": "New game: \(record.blackName) vs \(record.whiteName)."]
        try Outbox.publish(db, topic: Self.gamesTopic, html: views.render("partials/games_news", values))
    }

    static func outcomeText(_ record: GameRecord) -> String {
        guard let result = record.result else { return record.moveCount.isMultiple(of: 2) ? "Black to play" : "White to play" }
        let parts = result.split(separator: ":")
        switch (parts.first, parts.last) {
        case ("draw", _): return "Draw"
        case ("black", "resign"): return "\(record.blackName) won (resignation)"
        case ("white", "resign"): return "\(record.whiteName) won (resignation)"
        case ("black", _): return "\(record.blackName) won"
        case ("white", _): return "\(record.whiteName) won"
        default: return "Finished"
        }
    }
}
