import Platform
/// Every page and endpoint of the app. One enum, one exhaustive switch in `App.dispatch`:
/// a route without a handler does not compile, and every URL in a template comes from `path`.
public enum Route: Sendable, Equatable, CaseIterable {
    case home
    case login
    case logout
    case register
    case validateRegistration
    case health
    case liveDemo
    case liveDemoMessages
    case internalPresence

    /// The path this route is served at.
    public var path: String {
        switch self {
        case .home: "/"
        case .login: "/accounts/login/"
        case .logout: "/accounts/logout/"
        case .register: "/accounts/register/"
        case .validateRegistration: "/accounts/register/validate/"
        case .health: "/healthz"
        case .liveDemo: "/live/demo/"
        case .liveDemoMessages: "/live/demo/messages/"
        case .internalPresence: "/internal/presence/"
        }
    }

    /// Methods the route answers; anything else is a 405 with `Allow`.
    public var methods: [Request.Method] {
        switch self {
        case .home, .health, .liveDemo: [.GET, .HEAD]
        case .liveDemoMessages, .internalPresence: [.POST]
        case .login, .register, .logout: [.GET, .HEAD, .POST]
        case .validateRegistration: [.POST]
        }
    }

    /// The route at `path`, if any.
    public static func match(_ path: String) -> Route? {
        allCases.first { $0.path == path }
    }
}
