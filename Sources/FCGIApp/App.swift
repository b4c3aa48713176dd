import Platform
import Foundation
import Logging
import Store
import Synchronization

/// The whole application as one value: its dependencies and `respond(to:)`, which every transport
/// (FastCGI, CGI, the `request` subcommand, tests) calls the same way.
public struct App: Sendable {
    public let config: Config
    public private(set) var store: Store
    let views: Views
    let passwords: PasswordHasher
    let csrf: CSRF
    let logger: Logger
    /// Wakes this process's job threads after a handler enqueued a job.
    let jobSignal = JobSignal()
    /// The school's lessons, read from ROOT/content/school on first use.
    let school: SchoolCatalog
    /// Long-polls of the API waiting at once in this process (see `LongPollGate`).
    let longPolls = LongPollGate(limit: 32)
    /// Games replayed through the rules in this process (see `ReplayCache`).
    let replays = ReplayCache(capacity: 1024)
    /// Game pages' boards (about 20 KB each) by game, and who-is-here lists by topic, as last rendered
    /// in this process (see `RenderMemo`).
    let boards = RenderMemo<Int64, GameRecord>(capacity: 256)
    let presenceLists = RenderMemo<String, PresenceInput>(capacity: 1024)
    /// Game pages (about 22 KB each) by game and the viewer's role (see `PageMemo`).
    let gamePages = PageMemo<GamePageKey, GamePageInput>(capacity: 256)
    /// The live subscriptions' signed tokens (see `SubscriptionSigner`).
    let subscriptions: SubscriptionSigner

    public init(config: Config, store: Store? = nil) throws {
        self.config = config
        self.store = try store ?? Store(path: config.databasePath)
        views = try Views(templatesDir: config.templatesDir, staticDir: config.root + "/static")
        passwords = PasswordHasher(iterations: config.passwordIterations)
        csrf = CSRF(secret: config.secret)
        subscriptions = SubscriptionSigner(secret: config.secret)
        logger = Logger(label: "gomoku.app")
        school = SchoolCatalog(directory: config.root + "/content/school")
    }

    /// This app for one thread that answers requests: the same caches, and a read connection of the
    /// thread's own (`Store.withOwnReader`).
    public func forRequestThread() throws -> App {
        var app = self
        app.store = try store.withOwnReader()
        return app
    }

    /// Answers one request. Never throws: every failure becomes an error page or fragment.
    public func respond(params: [String: String], body: [UInt8]) -> Response {
        respond(params: params, body: body, forcedError: nil)
    }

    func respond(params: [String: String], body: [UInt8], forcedError: HTTPError?) -> Response {
        // The session's read is left open for the handler's first read (Store.readLeavingOpen).
        defer { store.endOpenRead() }
        let started = DispatchTime.now().uptimeNanoseconds
        let requestID = RequestIDs.next()
        var request: Request?
        var response: Response
        do {
            let parsed = try Request(params: params, body: body)
            request = parsed
            if let forcedError { throw forcedError }
            response = try handle(parsed, requestID: requestID)
        } catch {
            response = errorResponse(error, request: request, params: params, requestID: requestID)
        }
        addSecurityHeaders(&response)
        if request?.method == .HEAD { response.setHeader("Content-Length", String(response.body.count)); response.body = [] }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
        logger.log(level: response.status.rawValue >= 500 ? .error : .debug, "request", metadata: [
            "method": .string(params["REQUEST_METHOD"] ?? "-"), "path": .string(request?.path ?? params["REQUEST_URI"] ?? "-"),
            "status": .stringConvertible(response.status.rawValue), "ms": .string(String(format: "%.2f", elapsed)),
            "request_id": .string(requestID),
        ])
        return response
    }

    private func handle(_ request: Request, requestID: String) throws -> Response {
        // The JSON API has its own authentication (tokens, never cookies) and JSON errors.
        if request.path.hasPrefix("/api/") { return handleAPI(request) }
        guard request.body.count <= config.maxBodyBytes else {
            throw HTTPError(.payloadTooLarge, "The request body is larger than \(config.maxBodyBytes / 1024) KiB.")
        }
        guard let route = Route.match(request.path) else {
            // /accounts/login → /accounts/login/, as people type it.
            if request.method == .GET, !request.path.hasSuffix("/"), Route.match(request.path + "/") != nil {
                return Response.redirect(to: request.path + "/" + (request.rawQuery.isEmpty ? "" : "?" + request.rawQuery), for: request)
            }
            throw HTTPError(.notFound, "There is no page at \(request.path.prefix(200)).")
        }
        guard route.methods.contains(request.method) else {
            throw HTTPError(.methodNotAllowed, "\(request.method.rawValue) is not allowed here.",
                            headers: [("Allow", route.methods.map(\.rawValue).joined(separator: ", "))])
        }
        let form = request.method.isUnsafe ? try FormDecoding.body(request.body, contentType: request.header("content-type")) : [:]
        let existingCSRF = CSRF.validCookie(of: request)
        let csrfCookie = existingCSRF ?? Random.token()
        let bridge = try BridgeOrigin.from(request, secret: config.secret)
        var context = RequestContext(
            request: request, route: route, user: try sessionUser(request), form: form, bridge: bridge,
            csrfCookie: csrfCookie, csrfCookieIsNew: existingCSRF == nil,
            csrfToken: csrf.token(for: csrfCookie), requestID: requestID)
        // Presence reports carry the bridge's signature instead of a browser's CSRF token.
        let signedByBridge = route == .internalPresence && bridge != nil
        if request.method.isUnsafe, !signedByBridge {
            try csrf.check(request, form: form, expected: existingCSRF == nil ? nil : context.csrfToken)
        }
        var response = try dispatch(route, &context)
        if context.csrfCookieIsNew, !context.cookies.contains(where: { $0.name == CSRF.cookieName }) {
            context.cookies.append(SetCookie(name: CSRF.cookieName, value: context.csrfCookie, maxAge: 365 * 86_400, secure: request.isHTTPS))
        }
        for cookie in context.cookies { response.addHeader("Set-Cookie", cookie.headerValue) }
        return response
    }

    /// The one switch from routes to handlers.
    private func dispatch(_ route: Route, _ context: inout RequestContext) throws -> Response {
        switch route {
        case .home: try home(context)
        case .login: try login(&context)
        case .logout: try logout(&context)
        case .register: try register(&context)
        case .validateRegistration: try validateRegistration(context)
        case .health: health()
        case .liveDemo: try liveDemo(context)
        case .liveDemoMessages: try postLiveMessage(context)
        case .internalPresence: try internalPresence(context)
        case .dashboard: try dashboard(context)
        case .games: try gameList(context)
        case .friends: try friendsPage(context)
        case .friendSearch: try friendSearch(context)
        case .friendRequest: try friendRequest(context)
        case .friendRespond(let id): try friendRespond(context, id: id)
        case .friendRemove(let id): try friendRemove(context, id: id)
        case .challenges: try challengesPage(context)
        case .challengeRespond(let id): try challengeRespond(context, id: id)
        case .game(let id): try gamePage(context, id: id)
        case .gameMove(let id): try gameMove(context, id: id)
        case .gameResign(let id): try gameResign(context, id: id)
        case .lessons: try lessonsPage(context)
        case .lesson(let id): try lessonPage(context, id: id)
        case .lessonGenerate(let id): try lessonGenerate(context, id: id)
        case .lessonLevel(let id): try lessonLevel(context, id: id)
        case .lessonTutor(let id): try lessonTutor(context, id: id)
        }
    }

    private func sessionUser(_ request: Request) throws -> User? {
        guard let token = request.cookies[Sessions.cookieName], let raw = Base64URL.decode(token), raw.count == 32 else { return nil }
        return try store.sessionUser(idHash: Sessions.hash(token), lifetime: config.sessionLifetime)
    }

    private func addSecurityHeaders(_ response: inout Response) {
        response.setHeader("Content-Security-Policy",
                           "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                           + "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")
        response.setHeader("X-Content-Type-Options", "nosniff")
        response.setHeader("Referrer-Policy", "same-origin")
        response.setHeader("X-Frame-Options", "DENY")
        if response.header("Cache-Control") == nil { response.setHeader("Cache-Control", "no-store") }
    }
}

/// Request ids for logs and error pages: a random part drawn once per process and a count, instead of
/// a `getrandom` call per request. Unique across processes in practice (six random bytes each).
enum RequestIDs {
    private static let prefix = Random.token(byteCount: 6)
    private static let counter = Atomic<Int>(0)

    static func next() -> String {
        prefix + "." + String(counter.wrappingAdd(1, ordering: .relaxed).newValue, radix: 36)
    }
}
