/// Every endpoint of the JSON API under /api/v1/, with one exhaustive switch in `App.dispatchAPI`.
public enum APIRoute: Sendable, Equatable {
    case openAPI
    case register
    case token
    case tokenRefresh
    case tokens
    case tokenDelete(Int64)
    case me
    case games
    case game(Int64)
    case gameMove(Int64)
    case gameResign(Int64)
    case challenges
    case challengeRespond(Int64)
    case friends
    case friendRespond(Int64)
    case friend(Int64)

    static let prefix = "/api/v1/"

    public var path: String {
        switch self {
        case .openAPI: Self.prefix + "openapi.json"
        case .register: Self.prefix + "auth/register/"
        case .token: Self.prefix + "auth/token/"
        case .tokenRefresh: Self.prefix + "auth/token/refresh/"
        case .tokens: Self.prefix + "auth/tokens/"
        case .tokenDelete(let id): Self.prefix + "auth/tokens/\(id)/"
        case .me: Self.prefix + "me/"
        case .games: Self.prefix + "games/"
        case .game(let id): Self.prefix + "games/\(id)/"
        case .gameMove(let id): Self.prefix + "games/\(id)/move/"
        case .gameResign(let id): Self.prefix + "games/\(id)/resign/"
        case .challenges: Self.prefix + "challenges/"
        case .challengeRespond(let id): Self.prefix + "challenges/\(id)/respond/"
        case .friends: Self.prefix + "friends/"
        case .friendRespond(let id): Self.prefix + "friends/\(id)/respond/"
        case .friend(let id): Self.prefix + "friends/\(id)/"
        }
    }

    public var methods: [Request.Method] {
        switch self {
        case .openAPI, .me, .tokens, .game: [.GET, .HEAD]
        case .register, .token, .tokenRefresh, .gameMove, .gameResign, .challengeRespond, .friendRespond: [.POST]
        case .tokenDelete, .friend: [.DELETE]
        case .games: [.GET, .HEAD]
        case .challenges, .friends: [.GET, .HEAD, .POST]
        }
    }

    /// Whether the endpoint works without a token.
    var isPublic: Bool { self == .openAPI || self == .register || self == .token }

    private static let fixed: [APIRoute] = [.openAPI, .register, .token, .tokenRefresh, .tokens, .me, .games, .challenges, .friends]

    public static func match(_ path: String) -> APIRoute? {
        guard path.hasPrefix(prefix) else { return nil }
        if let route = fixed.first(where: { $0.path == path }) { return route }
        let parts = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        // "games/12/" → ["games", "12", ""]; "games/12/move/" → ["games", "12", "move", ""]
        guard parts.count >= 3, parts.last!.isEmpty else { return nil }
        let resource = parts[0] == "auth" && parts.count >= 4 ? "auth/" + parts[1] : String(parts[0])
        let idIndex = resource.hasPrefix("auth/") ? 2 : 1
        guard parts.count > idIndex, let id = Int64(parts[idIndex]), id > 0, parts[idIndex].first != "0",
              parts[idIndex].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let action = parts.count == idIndex + 3 ? String(parts[idIndex + 1]) : parts.count == idIndex + 2 ? "" : nil
        switch (resource, action) {
        case ("auth/tokens", ""): return .tokenDelete(id)
        case ("games", ""): return .game(id)
        case ("games", "move"): return .gameMove(id)
        case ("games", "resign"): return .gameResign(id)
        case ("challenges", "respond"): return .challengeRespond(id)
        case ("friends", ""): return .friend(id)
        case ("friends", "respond"): return .friendRespond(id)
        default: return nil
        }
    }
}
