import Domain
import Foundation
import GRDB
import Platform
import Store

/// `/dashboard/`: the games waiting for you and the others, challenges, and friends with who is
/// online. Each panel is a partial the app pushes to the user's own topic when it changes.
extension App {
    func dashboard(_ context: RequestContext) throws -> Response {
        guard let user = context.user else { return signInFirst(context) }
        let (values, latest) = try store.read { db -> ([String: Any], Int64) in
            var values = try dashboardGamesValues(db, for: user.id)
            values.merge(try challengeValues(db, for: user)) { $1 }
            values.merge(try dashboardFriendsValues(db, for: user.id)) { $1 }
            return (values, try Outbox.latestID(db))
        }
        return try page("pages/dashboard", context, title: "Dashboard", values: values,
                        topics: [Self.dashboardTopic(user.id)], latestID: latest)
    }

    func dashboardGamesValues(_ db: Database, for userID: Int64) throws -> [String: Any] {
        let games = try Store.activeGames(db, of: userID)
        func entry(_ record: GameRecord) -> [String: Any] {
            let opponent = record.blackID == userID ? record.whiteName : record.blackName
            let colour = record.blackID == userID ? "black" : "white"
            return ["path": Route.game(record.id).path, "id": record.id, "opponent": opponent, "colour": colour,
                    "moves": record.moveCount == 1 ? "1 move" : "\(record.moveCount) moves", "ruleset": Ruleset(rawValue: record.ruleset)?.displayName ?? record.ruleset]
        }
        let yourTurn = games.filter { $0.isTurn(of: userID) }
        let waiting = games.filter { !$0.isTurn(of: userID) }
        return ["your_turn": yourTurn.map(entry), "waiting": waiting.map(entry),
                "has_your_turn": !yourTurn.isEmpty, "has_waiting": !waiting.isEmpty]
    }

    func dashboardFriendsValues(_ db: Database, for userID: Int64) throws -> [String: Any] {
        let friends = try Store.friendships(db, of: userID).filter { $0.status == "accepted" }
        let entries = try friends.map { friendship -> [String: Any] in
            ["display_name": friendship.other.displayName, "username": friendship.other.username,
             "online": try Store.isOnline(db, userID: friendship.other.id)]
        }
        return ["dashboard_friends": entries, "has_dashboard_friends": !entries.isEmpty]
    }

    /// Pushes `userIDs`' games panel (after a move, a resignation, a new game).
    func publishDashboardGames(_ db: Database, to userIDs: [Int64]) throws {
        for id in Set(userIDs) {
            try Outbox.publishView(db, topic: Self.dashboardTopic(id), toUser: id) {
                var values = try dashboardGamesValues(db, for: id)
                values["oob"] = true
                return try views.render("partials/dashboard_games", values)
            }
        }
    }

    /// Pushes the friends panel (with who is online) to each of `user`'s friends and to `user`.
    func publishDashboardFriends(_ db: Database, around userID: Int64) throws {
        let friendIDs = try Store.friendships(db, of: userID).filter { $0.status == "accepted" }.map(\.other.id)
        for id in friendIDs + [userID] {
            try Outbox.publishView(db, topic: Self.dashboardTopic(id), toUser: id) {
                var values = try dashboardFriendsValues(db, for: id)
                values["oob"] = true
                return try views.render("partials/dashboard_friends", values)
            }
        }
    }
}
