import Platform
import Store

/// Everything a handler knows about the request it is answering: typed, built once by the app.
public struct RequestContext: Sendable {
    public let request: Request
    public let route: Route
    /// The signed-in user, if the session cookie names a live session.
    public internal(set) var user: User?
    /// The decoded body of a POST (form, multipart or JSON).
    public let form: FormFields
    /// Set when the request came through the WebSocket bridge (a ws-send or a presence report).
    public let bridge: BridgeOrigin?
    /// The browser's CSRF cookie value (new when it had none) and the token derived from it.
    let csrfCookie: String
    let csrfCookieIsNew: Bool
    public let csrfToken: String
    /// Cookies to set on the way out (session rotation, logout).
    var cookies: [SetCookie] = []
    public let requestID: String

    /// A form value, trimmed of nothing: handlers decide what whitespace means.
    public func field(_ name: String) -> String { form.value(name) ?? "" }
}
