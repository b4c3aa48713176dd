import Platform
import Store

/// Login sessions: a random 256-bit id in an HttpOnly cookie; the database keeps only its SHA-256.
enum Sessions {
    static let cookieName = "gomoku_session"

    static func hash(_ token: String) -> [UInt8] { Digest.sha256(token) }
}

extension App {
    /// Signs `user` in: a fresh session id (never reusing one the browser sent) and a fresh CSRF cookie.
    func startSession(for user: User, _ context: inout RequestContext) throws {
        if let old = context.request.cookies[Sessions.cookieName] { try store.deleteSession(idHash: Sessions.hash(old)) }
        let token = Random.token()
        try store.createSession(idHash: Sessions.hash(token), userID: user.id, lifetime: config.sessionLifetime,
                                userAgent: context.request.header("user-agent") ?? "", ip: context.request.remoteAddress)
        let secure = context.request.isHTTPS
        context.cookies.append(SetCookie(name: Sessions.cookieName, value: token, maxAge: config.sessionLifetime, secure: secure))
        context.cookies.append(SetCookie(name: CSRF.cookieName, value: Random.token(), maxAge: 365 * 86_400, secure: secure))
        context.user = user
    }

    func endSession(_ context: inout RequestContext) throws {
        if let token = context.request.cookies[Sessions.cookieName] { try store.deleteSession(idHash: Sessions.hash(token)) }
        context.cookies.append(.expired(Sessions.cookieName, secure: context.request.isHTTPS))
        context.user = nil
    }

    /// Creates a session for `username` without a password: for `gomoku-fcgi request --as` only.
    public func sessionCookie(forUsername username: String) throws -> String? {
        guard let user = try store.user(username: username) else { return nil }
        let token = Random.token()
        try store.createSession(idHash: Sessions.hash(token), userID: user.id, lifetime: config.sessionLifetime,
                                userAgent: "gomoku-fcgi request", ip: "127.0.0.1")
        return "\(Sessions.cookieName)=\(token)"
    }

    /// A CSRF cookie and its matching token, so developers can send unsafe requests from the command line.
    public func csrfPair() -> (cookie: String, token: String) {
        let value = Random.token()
        return ("\(CSRF.cookieName)=\(value)", csrf.token(for: value))
    }
}
