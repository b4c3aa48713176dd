import Platform
import Foundation
import Store

extension App {
    /// Renders a page in the base layout; with `fragment`, an htmx request (not boosted, not a
    /// history restore) gets just that fragment, and the answer varies on `HX-Request`.
    /// A signed-in user's page listens to their own topic (toasts, challenges) and to `topics`;
    /// `latestID` is the newest notification read with the page's data (else read now).
    func page(_ template: String, _ context: RequestContext, title: String, values: [String: Any] = [:],
              fragment: String? = nil, status: HTTPStatus = .ok, topics: [String] = [], latestID: Int64? = nil) throws -> Response {
        var values = values
        let allTopics = Self.pageTopics(topics, context)
        if !allTopics.isEmpty, !(fragment != nil && context.request.htmx.wantsPartial) {
            values["live"] = liveSubscription(allTopics, context, latestID: try latestID ?? store.latestNotificationID())
        }
        let all = views.layoutContext(title: title, csrfToken: context.csrfToken,
                                      user: context.user.map { ($0.username, $0.displayName) }, extra: values)
        guard let fragment else { return Response.html(try views.render(template, all), status: status) }
        let name = context.request.htmx.wantsPartial ? fragment : template
        return Response.html(try views.render(name, all), status: status).varyOnHTMX()
    }

    /// A whole page kept in `memo` (see `PageMemo`) under `key` while `input` stays the same: `render`
    /// — the page's title and values, given stand-ins for the viewer's CSRF token and name — runs only
    /// for an input not seen last for `key`, so everything it uses must follow from `input`, and `topics`
    /// from `key`.
    func memoizedPage<Key, Input>(_ template: String, _ context: RequestContext, memo: PageMemo<Key, Input>, key: Key,
                                  input: Input, topics: [String], latestID: Int64,
                                  render: (PageMemo<Key, Input>.Viewer) throws -> (title: String, values: [String: Any])) throws -> Response {
        // Whether the page subscribes at all follows from the page's topics and the sign-in state, both
        // part of what the kept page is looked up by.
        let allTopics = Self.pageTopics(topics, context)
        let liveURL = allTopics.isEmpty ? "" : LiveSubscription(topics: allTopics, user: context.user, latestID: latestID, signer: subscriptions).url
        let viewer = PageMemo<Key, Input>.Viewer(csrfToken: context.csrfToken, liveURL: liveURL,
                                                 username: context.user?.username ?? "", displayName: context.user?.displayName ?? "")
        let body = try memo.page(for: key, from: input, viewer: viewer, signedIn: context.user != nil) { standIns in
            var (title, values) = try render(standIns)
            if !allTopics.isEmpty { values["live"] = ["url": standIns.liveURL] }
            return try views.render(template, views.layoutContext(
                title: title, csrfToken: standIns.csrfToken,
                user: context.user.map { _ in (standIns.username, standIns.displayName) }, extra: values))
        }
        return Response(status: .ok, headers: [("Content-Type", "text/html; charset=utf-8")], body: body)
    }

    /// What a page subscribes to: its own topics and, for a signed-in viewer, their user topic.
    static func pageTopics(_ topics: [String], _ context: RequestContext) -> [String] {
        topics + (context.user.map { [userTopic($0.id)] } ?? [])
    }

    /// A user's own topics. `user:` reaches every page of theirs (toasts, being sent to a new game,
    /// and whether they are online); the others only the pages that show that panel, so no page is
    /// pushed an element it does not have.
    static func userTopic(_ id: Int64) -> String { "user:\(id)" }
    static func dashboardTopic(_ id: Int64) -> String { "dashboard:\(id)" }
    static func friendsTopic(_ id: Int64) -> String { "friends:\(id)" }
    static func challengesTopic(_ id: Int64) -> String { "challenges:\(id)" }

    func home(_ context: RequestContext) throws -> Response {
        try page("pages/home", context, title: context.user == nil ? "Gomoku" : "Welcome, \(context.user!.displayName)")
    }

    func health() -> Response {
        do {
            _ = try store.isMigrated()
            return .text("ok\n")
        } catch {
            return .text("database unavailable\n", status: .serviceUnavailable)
        }
    }

    /// A local path to continue to after signing in; anything else (other sites, `//host`) becomes `/`.
    static func safeNext(_ value: String?) -> String {
        guard let value, value.hasPrefix("/"), !value.hasPrefix("//"), !value.hasPrefix("/\\"),
              !value.contains(where: { $0.isNewline || $0 == "\0" }) else { return Route.home.path }
        return value
    }
}
