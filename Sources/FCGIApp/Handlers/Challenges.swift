import Domain
import Foundation
import GRDB
import Platform
import Store

/// Challenges: a friend is invited to a game (ruleset, size, colour); accepting creates the game
/// and takes both players into it — the challenger's pages are sent there by a pushed fragment.
extension App {
    static let challengeLifetime: Int64 = 24 * 3600

    func challengesPage(_ context: RequestContext) throws -> Response {
        if context.request.method == .POST { return try createChallenge(context, user: try requireUser(context)) }
        guard let user = context.user else { return signInFirst(context) }
        let (values, latest) = try store.read { db in (try challengeValues(db, for: user), try Outbox.latestID(db)) }
        var all = values
        all["opponent"] = context.request.query.value("opponent") ?? ""
        return try page("pages/challenges", context, title: "Challenges", values: all,
                        topics: [Self.challengesTopic(user.id)], latestID: latest)
    }

    private func createChallenge(_ context: RequestContext, user: User) throws -> Response {
        let challenge = try sendChallenge(from: user, opponent: context.field("opponent"), ruleset: context.field("ruleset"),
                                          size: context.field("size"), colour: context.field("colour"))
        return try socialAnswer(context, redirect: Route.challenges.path, message: "Challenge sent to \(challenge.toName).")
    }

    func challengeRespond(_ context: RequestContext, id: Int64) throws -> Response {
        let user = try requireUser(context)
        let answer = context.field("answer")
        let gameID = try answerChallenge(user, id: id, answer: answer)
        if let gameID { return .redirect(to: Route.game(gameID).path, for: context.request) }
        return try socialAnswer(context, redirect: Route.challenges.path, message: answer == "decline" ? "Challenge declined." : "Challenge cancelled.")
    }

    // MARK: The services (pages and the API)

    /// Challenges a friend; they are told at once.
    func sendChallenge(from user: User, opponent rawOpponent: String, ruleset rawRuleset: String, size rawSize: String,
                       colour: String) throws -> Challenge {
        let username = rawOpponent.trimmingWhitespace()
        let ruleset: Ruleset
        do { ruleset = try Ruleset(parsing: rawRuleset) } catch { throw HTTPError(.unprocessableContent, error.message) }
        guard let size = Int(rawSize), Board.supportedSizes.contains(size) else {
            throw HTTPError(.unprocessableContent, "Choose a 15×15 or 19×19 board.")
        }
        guard ["black", "white", "random"].contains(colour) else { throw HTTPError(.unprocessableContent, "Choose Black, White or random.") }
        guard let opponent = try store.user(username: username) else { throw HTTPError(.notFound, "There is no player called \(username.prefix(40)).") }
        return try store.publishing { db in
            guard let friendship = try Store.friendship(db, between: user.id, and: opponent.id), friendship["status"] == "accepted" else {
                throw HTTPError(.forbidden, "You can challenge your friends only; \(opponent.displayName) is not one yet.")
            }
            let challenge = try Store.createChallenge(db, from: user.id, to: opponent.id, ruleset: ruleset.rawValue, boardSize: size,
                                                      colour: colour, lifetime: Self.challengeLifetime)
            try publishChallenges(db, to: opponent, toast: "\(user.displayName) challenges you to \(ruleset.displayName) on \(size)×\(size).")
            return challenge
        }
    }

    /// Accepts (→ the new game's id), declines or cancels challenge `id`.
    func answerChallenge(_ user: User, id: Int64, answer: String) throws -> Int64? {
        guard ["accept", "decline", "cancel"].contains(answer) else { throw HTTPError(.badRequest, "Answer accept, decline or cancel.") }
        return try store.publishing { db -> Int64? in
            guard let challenge = try Store.challenge(db, id: id), challenge.toID == user.id || challenge.fromID == user.id else {
                throw HTTPError(.notFound, "There is no such challenge.")
            }
            guard challenge.status == "pending", challenge.expiresAt > unixNow() else {
                throw HTTPError(.conflict, "This challenge is no longer open.")
            }
            let mine = challenge.fromID == user.id
            guard mine == (answer == "cancel") else {
                throw HTTPError(.forbidden, mine ? "You sent this challenge; you can only cancel it." : "Only the challenger can cancel a challenge.")
            }
            guard let challenger = try Store.userByID(db, challenge.fromID), let challenged = try Store.userByID(db, challenge.toID) else {
                throw HTTPError(.notFound, "That player no longer exists.")
            }
            switch answer {
            case "accept":
                let challengerBlack = challenge.colour == "black" || (challenge.colour == "random" && Bool.random())
                let game = try Store.createGame(db, blackID: challengerBlack ? challenger.id : challenged.id,
                                                whiteID: challengerBlack ? challenged.id : challenger.id,
                                                ruleset: challenge.ruleset, boardSize: challenge.boardSize)
                try Store.setChallengeStatus(db, id: id, status: "accepted", gameID: game)
                try publishDashboardGames(db, to: [challenger.id, challenged.id])
                try publishGameStarted(db, id: game)
                // The challenger's open pages go straight to the new game.
                try publishChallenges(db, to: challenger, toast: "\(challenged.displayName) accepted your challenge.",
                                      navigate: Route.game(game).path)
                return game
            case "decline":
                try Store.setChallengeStatus(db, id: id, status: "declined")
                try publishChallenges(db, to: challenger, toast: "\(challenged.displayName) declined your challenge.")
                return nil
            default:
                try Store.setChallengeStatus(db, id: id, status: "cancelled")
                try publishChallenges(db, to: challenged, toast: nil)
                return nil
            }
        }
    }

    func challengeValues(_ db: Database, for user: User) throws -> [String: Any] {
        let (received, sent) = try Store.openChallenges(db, of: user.id)
        let friends = try Store.friendships(db, of: user.id).filter { $0.status == "accepted" }
        func entry(_ challenge: Challenge) -> [String: Any] {
            let ruleset = Ruleset(rawValue: challenge.ruleset)?.displayName ?? challenge.ruleset
            let colour = challenge.colour == "random" ? "random colours" : "\(challenge.fromName) plays \(challenge.colour)"
            return ["id": challenge.id, "from_name": challenge.fromName, "to_name": challenge.toName,
                    "terms": "\(ruleset), \(challenge.boardSize)×\(challenge.boardSize), \(colour)",
                    "respond_path": Route.challengeRespond(challenge.id).path]
        }
        return [
            "received": received.map(entry), "sent": sent.map(entry),
            "has_received": !received.isEmpty, "has_sent": !sent.isEmpty,
            "friends": friends.map { ["username": $0.other.username, "display_name": $0.other.displayName] },
            "has_friends": !friends.isEmpty,
            "rulesets": Ruleset.allCases.map { ["value": $0.rawValue, "label": $0.displayName] },
        ]
    }

    func publishChallenges(_ db: Database, to user: User, toast: String?, navigate: String? = nil) throws {
        // The same lists go to the challenges page and the dashboard: rendered once, and only if one shows them.
        var rendered: String?
        func lists() throws -> String {
            if let rendered { return rendered }
            var values = try challengeValues(db, for: user)
            values["oob"] = true
            let html = try views.render("partials/challenge_lists", values)
            rendered = html
            return html
        }
        try Outbox.publishView(db, topic: Self.challengesTopic(user.id), toUser: user.id, render: lists)
        try Outbox.publishView(db, topic: Self.dashboardTopic(user.id), toUser: user.id, render: lists)
        var html = ""
        if let toast { html += try views.render("partials/toast", ["message": toast, "link": Route.challenges.path, "link_text": "Challenges"]) }
        if let navigate { html += "<div id=\"live-navigate\" hx-swap-oob=\"true\" data-href=\"\(navigate.htmlEscaped)\" hidden></div>" }
        if !html.isEmpty { try Outbox.publish(db, topic: Self.userTopic(user.id), html: html, toUser: user.id) }
    }
}
