import Domain
import Foundation
import GRDB
import Platform
import Store

/// Friends: find players as you type, ask, accept or decline, remove. The other player's pages
/// learn of it at once (a toast and their refreshed lists, pushed to their own topic).
extension App {
    func friendsPage(_ context: RequestContext) throws -> Response {
        guard let user = context.user else { return signInFirst(context) }
        let (friendships, latest) = try store.read { db in (try Store.friendships(db, of: user.id), try Outbox.latestID(db)) }
        return try page("pages/friends", context, title: "Friends", values: friendsValues(friendships, viewer: user),
                        topics: [Self.friendsTopic(user.id)], latestID: latest)
    }

    /// Search as you type: a list of players whose name starts with `q` — the results fragment for
    /// htmx, the whole friends page with the results for a browser without JavaScript.
    func friendSearch(_ context: RequestContext) throws -> Response {
        guard let user = context.user else { return signInFirst(context) }
        let query = (context.request.query.value("q") ?? "").trimmingWhitespace()
        guard query.count <= 30 else { throw HTTPError(.badRequest, "Search for at most 30 characters.") }
        let (found, friendships, latest) = try store.read { db in
            (query.isEmpty ? [] : try Store.searchUsers(db, prefix: query, excluding: user.id), try Store.friendships(db, of: user.id),
             try Outbox.latestID(db))
        }
        let known = Dictionary(friendships.map { ($0.other.id, $0.status) }, uniquingKeysWith: { a, _ in a })
        var values = friendsValues(friendships, viewer: user)
        values["query"] = query
        values["searched"] = !query.isEmpty
        values["results"] = found.map { ["username": $0.username, "display_name": $0.displayName, "status": known[$0.id] ?? "",
                                         "can_ask": known[$0.id] == nil] }
        return try page("pages/friends", context, title: "Friends", values: values, fragment: "partials/friend_search_results",
                        topics: [Self.friendsTopic(user.id)], latestID: latest)
    }

    func friendRequest(_ context: RequestContext) throws -> Response {
        let (other, _) = try sendFriendRequest(from: try requireUser(context), to: context.field("username"))
        return try socialAnswer(context, redirect: Route.friends.path, message: "Friend request sent to \(other.displayName).")
    }

    func friendRespond(_ context: RequestContext, id: Int64) throws -> Response {
        let user = try requireUser(context)
        let answer = context.field("answer")
        guard answer == "accept" || answer == "decline" else { throw HTTPError(.badRequest, "Answer accept or decline.") }
        let other = try answerFriendRequest(user, id: id, accept: answer == "accept")
        return try socialAnswer(context, redirect: Route.friends.path,
                                message: answer == "accept" ? "You and \(other.displayName) are now friends." : "Request declined.")
    }

    func friendRemove(_ context: RequestContext, id: Int64) throws -> Response {
        try removeFriend(try requireUser(context), id: id)
        return try socialAnswer(context, redirect: Route.friends.path, message: "Removed.")
    }

    // MARK: The services (pages and the API)

    /// Asks `username` to be `user`'s friend; the other player is told at once. Returns them and the request's id.
    @discardableResult
    func sendFriendRequest(from user: User, to rawUsername: String) throws -> (other: User, friendshipID: Int64) {
        let username = rawUsername.trimmingWhitespace()
        guard let other = try store.user(username: username) else { throw HTTPError(.notFound, "There is no player called \(username.prefix(40)).") }
        guard other.id != user.id else { throw HTTPError(.unprocessableContent, "You cannot be your own friend here.") }
        let id = try store.publishing { db -> Int64 in
            if let existing = try Store.friendship(db, between: user.id, and: other.id) {
                let status: String = existing["status"]
                if status == "accepted" { throw HTTPError(.conflict, "You and \(other.displayName) are already friends.") }
                if status == "pending" { throw HTTPError(.conflict, "A friend request between you and \(other.displayName) is already waiting.") }
            }
            let id = try Store.requestFriendship(db, from: user.id, to: other.id)
            try publishFriends(db, to: other, toast: "\(user.displayName) wants to be your friend.")
            return id
        }
        return (other, id)
    }

    /// Accepts or declines the request `id` made to `user`; returns who asked.
    @discardableResult
    func answerFriendRequest(_ user: User, id: Int64, accept: Bool) throws -> User {
        try store.publishing { db -> User in
            let row = try friendshipForViewer(db, id: id, viewer: user.id)
            let requester: Int64 = row["requester_id"]
            guard row["status"] == "pending", requester != user.id else {
                throw HTTPError(.conflict, "This request is not waiting for your answer.")
            }
            try Store.setFriendshipStatus(db, id: id, status: accept ? "accepted" : "declined")
            guard let other = try Store.userByID(db, requester) else { throw HTTPError(.notFound, "That player no longer exists.") }
            try publishFriends(db, to: other, toast: accept ? "\(user.displayName) accepted your friend request." : nil)
            return other
        }
    }

    func removeFriend(_ user: User, id: Int64) throws {
        try store.publishing { db in
            let row = try friendshipForViewer(db, id: id, viewer: user.id)
            let otherID: Int64 = row["user_low"] == user.id ? row["user_high"] : row["user_low"]
            try Store.deleteFriendship(db, id: id)
            if let other = try Store.userByID(db, otherID) { try publishFriends(db, to: other, toast: nil) }
        }
    }

    // MARK: Shared

    /// Sends an anonymous visitor of a page to the login form, and back here afterwards.
    func signInFirst(_ context: RequestContext) -> Response {
        .redirect(to: Route.login.path + "?next=" + context.route.path.urlQueryEncoded, for: context.request)
    }

    func requireUser(_ context: RequestContext) throws -> User {
        guard let user = context.user else { throw HTTPError(.forbidden, "Sign in first.") }
        return user
    }

    private func friendshipForViewer(_ db: Database, id: Int64, viewer: Int64) throws -> Row {
        guard let row = try Store.friendshipRow(db, id: id), row["user_low"] == viewer || row["user_high"] == viewer else {
            throw HTTPError(.notFound, "There is no such friend request.")
        }
        return row
    }

    func friendsValues(_ friendships: [Friendship], viewer: User) -> [String: Any] {
        func entry(_ friendship: Friendship) -> [String: Any] {
            ["id": friendship.id, "username": friendship.other.username, "display_name": friendship.other.displayName,
             "respond_path": Route.friendRespond(friendship.id).path, "remove_path": Route.friendRemove(friendship.id).path]
        }
        let friends = friendships.filter { $0.status == "accepted" }
        let incoming = friendships.filter { $0.status == "pending" && !$0.requestedByViewer }
        let outgoing = friendships.filter { $0.status == "pending" && $0.requestedByViewer }
        return ["friends": friends.map(entry), "incoming": incoming.map(entry), "outgoing": outgoing.map(entry),
                "has_friends": !friends.isEmpty, "has_incoming": !incoming.isEmpty, "has_outgoing": !outgoing.isEmpty]
    }

    /// Refreshes `user`'s friend lists on every page of theirs that shows them, with an optional toast.
    private func publishFriends(_ db: Database, to user: User, toast: String?) throws {
        try Outbox.publishView(db, topic: Self.friendsTopic(user.id), toUser: user.id) {
            var values = friendsValues(try Store.friendships(db, of: user.id), viewer: user)
            values["oob"] = true
            return try views.render("partials/friend_lists", values)
        }
        try Outbox.publishView(db, topic: Self.dashboardTopic(user.id), toUser: user.id) {
            var dashboard = try dashboardFriendsValues(db, for: user.id)
            dashboard["oob"] = true
            return try views.render("partials/dashboard_friends", dashboard)
        }
        if let toast {
            let html = try views.render("partials/toast", ["message": toast, "link": Route.friends.path, "link_text": "Friends"])
            try Outbox.publish(db, topic: Self.userTopic(user.id), html: html, toUser: user.id)
        }
    }

    /// htmx gets a toast in the message area and the refreshed lists; a plain form goes back to the page.
    func socialAnswer(_ context: RequestContext, redirect: String, message: String) throws -> Response {
        guard context.request.htmx.isHTMX else { return .redirect(to: redirect, for: context.request) }
        return Response.html(try views.render("partials/toast", ["message": message])).reswap(.none)
            .trigger("social-changed")
    }
}
