import Platform
import Foundation
import Store

extension App {
    /// Renders a page in the base layout; with `fragment`, an htmx request (not boosted, not a
    /// history restore) gets just that fragment, and the answer varies on `HX-Request`.
    func page(_ template: String, _ context: RequestContext, title: String, values: [String: Any] = [:],
              fragment: String? = nil, status: HTTPStatus = .ok) throws -> Response {
        let all = views.layoutContext(context, title: title, extra: values)
        guard let fragment else { return Response.html(try views.render(template, all), status: status) }
        let name = context.request.htmx.wantsPartial ? fragment : template
        return Response.html(try views.render(name, all), status: status).varyOnHTMX()
    }

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
