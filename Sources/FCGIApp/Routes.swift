import Platform

/// Every page and endpoint of the app. One enum, one exhaustive switch in `App.dispatch`:
/// a route without a handler does not compile, and every URL in a template comes from `path`.
public enum Route: Sendable, Equatable {
    case home
    case login
    case logout
    case register
    case validateRegistration
    case health
    case liveDemo
    case liveDemoMessages
    case internalPresence
    case dashboard
    case games
    case friends
    case friendSearch
    case friendRequest
    case friendRespond(Int64)
    case friendRemove(Int64)
    case challenges
    case challengeRespond(Int64)
    case game(Int64)
    case gameMove(Int64)
    case gameResign(Int64)
    case lessons
    case lesson(String)
    case lessonGenerate(String)
    case lessonLevel(String)
    case lessonTutor(String)

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
        case .dashboard: "/dashboard/"
        case .games: "/games/"
        case .friends: "/friends/"
        case .friendSearch: "/friends/search/"
        case .friendRequest: "/friends/request/"
        case .friendRespond(let id): "/friends/\(id)/respond/"
        case .friendRemove(let id): "/friends/\(id)/remove/"
        case .challenges: "/challenges/"
        case .challengeRespond(let id): "/challenges/\(id)/respond/"
        case .game(let id): "/games/\(id)/"
        case .gameMove(let id): "/games/\(id)/move/"
        case .gameResign(let id): "/games/\(id)/resign/"
        case .lessons: "/lessons/"
        case .lesson(let id): "/lessons/\(id)/"
        case .lessonGenerate(let id): "/lessons/\(id)/generate/"
        case .lessonLevel(let id): "/lessons/\(id)/level/"
        case .lessonTutor(let id): "/lessons/\(id)/tutor/"
        }
    }

    /// Methods the route answers; anything else is a 405 with `Allow`.
    public var methods: [Request.Method] {
        switch self {
        case .home, .health, .liveDemo, .dashboard, .games, .game, .friends, .friendSearch, .lessons, .lesson: [.GET, .HEAD]
        case .login, .register, .logout, .challenges: [.GET, .HEAD, .POST]
        case .validateRegistration, .liveDemoMessages, .internalPresence, .gameMove, .gameResign, .friendRequest, .friendRespond,
             .friendRemove, .challengeRespond, .lessonGenerate, .lessonLevel, .lessonTutor: [.POST]
        }
    }

    private static let fixed: [Route] = [
        .home, .login, .logout, .register, .validateRegistration, .health, .liveDemo, .liveDemoMessages, .internalPresence, .dashboard, .games,
        .friends, .friendSearch, .friendRequest, .challenges, .lessons,
    ]

    /// The route at `path`, if any.
    public static func match(_ path: String) -> Route? {
        if let route = fixed.first(where: { $0.path == path }) { return route }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // "/lessons/beginner-the-five/" and its actions: ids are lowercase words joined by dashes.
        if parts.count >= 4, parts.count <= 5, parts[0].isEmpty, parts[1] == "lessons", parts.last!.isEmpty,
           (1...80).contains(parts[2].count), parts[2].allSatisfy({ ($0.isLowercase && $0.isASCII) || ($0.isNumber && $0.isASCII) || $0 == "-" }) {
            let id = String(parts[2])
            switch parts.count == 5 ? parts[3] : "" {
            case "": return .lesson(id)
            case "generate": return .lessonGenerate(id)
            case "level": return .lessonLevel(id)
            case "tutor": return .lessonTutor(id)
            default: return nil
            }
        }
        // "/games/12/" → ["", "games", "12", ""]; "/games/12/move/" → ["", "games", "12", "move", ""]
        guard parts.count >= 4, parts[0].isEmpty, parts.last!.isEmpty,
              let id = Int64(parts[2]), id > 0, parts[2].first != "0", parts[2].allSatisfy(\.isASCII) else { return nil }
        switch (parts[1], parts.count, parts.count == 5 ? parts[3] : "") {
        case ("games", 4, _): return .game(id)
        case ("games", 5, "move"): return .gameMove(id)
        case ("games", 5, "resign"): return .gameResign(id)
        case ("friends", 5, "respond"): return .friendRespond(id)
        case ("friends", 5, "remove"): return .friendRemove(id)
        case ("challenges", 5, "respond"): return .challengeRespond(id)
        default: return nil
        }
    }
}
