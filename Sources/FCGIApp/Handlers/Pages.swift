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
        let allTopics = topics + (context.user.map { [Self.userTopic($0.id)] } ?? [])
        if !allTopics.isEmpty, !(fragment != nil && context.request.htmx.wantsPartial) {
            values["live"] = liveSubscription(allTopics, context, latestID: try latestID ?? store.latestNotificationID())
        }
        let all = views.layoutContext(context, title: title, extra: values)
        guard let fragment else { return Response.html(try views.render(template, all), status: status) }
        let name = context.request.htmx.wantsPartial ? fragment : template
        return Response.html(try views.render(name, all), status: status).varyOnHTMX()
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
