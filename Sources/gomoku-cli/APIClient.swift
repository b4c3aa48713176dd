import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

// MARK: - Models (docs/api.md; JSON keys are snake_case, mapped by the coders below)

struct PlayerRef: Codable, Sendable, Equatable {
    let id: Int
    let username: String
    let displayName: String

    /// "Alice (@alice)", or just "@alice" when the display name adds nothing.
    var label: String { displayName.isEmpty || displayName == username ? "@\(username)" : "\(displayName) (@\(username))" }
}

struct User: Codable, Sendable {
    let id: Int?
    let username: String
    let displayName: String?
    let email: String?
}

struct TokenInfo: Codable, Sendable {
    let id: Int
    let deviceName: String?
    let createdAt: Int?
    let lastUsedAt: Int?
    let expiresAt: Int
    let current: Bool?
}

/// The answer of `POST auth/token/` and `auth/token/refresh/`.
struct IssuedToken: Codable, Sendable {
    let token: String
    let expiresAt: Int
    let tokenInfo: TokenInfo
}

struct GameSummary: Codable, Sendable {
    let id: Int
    let black: PlayerRef
    let white: PlayerRef
    let ruleset: String
    let size: Int
    let status: String
    let result: String?
    let moveCount: Int
    let createdAt: Int
}

struct GamePage: Codable, Sendable {
    let games: [GameSummary]
    let page: Int
    let pages: Int
    let total: Int
}

struct BoardPoint: Codable, Sendable, Equatable {
    let row: Int
    let col: Int
    let notation: String
}

struct PlayedMove: Codable, Sendable, Equatable {
    let number: Int
    let row: Int
    let col: Int
    let notation: String
    let stone: String
}

struct ForbiddenPoint: Codable, Sendable, Equatable {
    let row: Int
    let col: Int
    let notation: String
    let reason: String?
}

struct Game: Codable, Sendable {
    let id: Int
    let black: PlayerRef
    let white: PlayerRef
    let ruleset: String
    let size: Int
    let status: String
    let result: String?
    let moveCount: Int
    let createdAt: Int
    let toMove: String?
    let nextMoveNumber: Int
    let yourColour: String?
    let board: [String]
    let moves: [PlayedMove]
    let winningLine: [BoardPoint]
    let forbidden: [ForbiddenPoint]
    let statusText: String

    var isOver: Bool { status == "finished" }

    func player(_ colour: String) -> PlayerRef { colour == "white" ? white : black }

    /// "x", "o" or "." at a point (rows of `board` come top to bottom).
    func stone(row: Int, col: Int) -> Character {
        guard board.indices.contains(row) else { return "." }
        let line = Array(board[row])
        return line.indices.contains(col) ? line[col] : "."
    }
}

struct Challenge: Codable, Sendable {
    let id: Int
    let from: PlayerRef
    let to: PlayerRef
    let ruleset: String
    let size: Int
    let colour: String
    let status: String
    let gameId: Int?
    let createdAt: Int
    let expiresAt: Int?
}

struct ChallengeLists: Codable, Sendable {
    let received: [Challenge]
    let sent: [Challenge]
}

struct ChallengeAnswer: Codable, Sendable {
    let challenge: Challenge
    let gameId: Int?
}

struct Friend: Codable, Sendable {
    let id: Int
    let user: PlayerRef
    let status: String
    let online: Bool?
}

struct FriendLists: Codable, Sendable {
    let friends: [Friend]
    let incoming: [Friend]
    let outgoing: [Friend]
}

/// The body of every error answer: `{code, message, fields?}`.
struct APIErrorBody: Codable, Sendable {
    let code: String
    let message: String
    let fields: [String: String]?
}

private struct NoContent: Decodable, Sendable {}

// MARK: - Errors

enum CLIError: Error, CustomStringConvertible {
    /// The server refused the request: its `message` is meant for people, so it is shown as is.
    case api(status: Int, code: String, message: String, fields: [String: String])
    case network(url: String, reason: String)
    case badResponse(String)
    case usage(String)

    var description: String {
        switch self {
        case let .api(_, _, message, fields):
            let details = fields.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }
            return ([message] + details).joined(separator: "\n")
        case let .network(url, reason): return "cannot reach \(url): \(reason)"
        case let .badResponse(text), let .usage(text): return text
        }
    }

    var status: Int? { if case let .api(status, _, _, _) = self { status } else { nil } }
}

// MARK: - The client

/// One server and (optionally) one token. Every call is a plain async request; nothing is cached.
struct APIClient: Sendable {
    static let userAgent = "gomoku-cli/1.0"

    let baseURL: String
    let token: String?

    init(baseURL: String, token: String? = nil) {
        self.baseURL = baseURL
        self.token = token
    }

    func withToken(_ token: String) -> APIClient { APIClient(baseURL: baseURL, token: token) }

    // Tokens and account

    func issueToken(username: String, password: String, deviceName: String, deviceInfo: [String: String]) async throws -> IssuedToken {
        struct Body: Encodable { let username, password, deviceName: String; let deviceInfo: [String: String] }
        return try await send("POST", "auth/token/",
                              body: Body(username: username, password: password, deviceName: deviceName, deviceInfo: deviceInfo))
    }

    func refreshToken() async throws -> IssuedToken { try await send("POST", "auth/token/refresh/", body: [String: String]()) }

    func revokeToken(id: Int) async throws { let _: NoContent = try await send("DELETE", "auth/tokens/\(id)/") }

    func me() async throws -> User { try await send("GET", "me/") }

    // Games

    func games(status: String?, ruleset: String?, player: String?, page: Int?) async throws -> GamePage {
        try await send("GET", "games/", query: ["status": status, "ruleset": ruleset, "player": player, "page": page.map(String.init)])
    }

    func game(_ id: Int) async throws -> Game { try await send("GET", "games/\(id)/") }

    /// Long-poll: answers as soon as the game has more than `afterMove` moves or is over, else after `wait` s.
    func game(_ id: Int, afterMove: Int, wait: Int) async throws -> Game {
        try await send("GET", "games/\(id)/", query: ["after_move": String(afterMove), "wait": String(wait)],
                       timeout: TimeInterval(wait + 30))
    }

    func move(game id: Int, row: Int, col: Int, moveNumber: Int) async throws -> Game {
        struct Body: Encodable { let row, col, moveNumber: Int }
        return try await send("POST", "games/\(id)/move/", body: Body(row: row, col: col, moveNumber: moveNumber))
    }

    func resign(game id: Int) async throws -> Game { try await send("POST", "games/\(id)/resign/", body: [String: String]()) }

    // Challenges and friends

    func challenges() async throws -> ChallengeLists { try await send("GET", "challenges/") }

    func challenge(opponent: String, ruleset: String, size: Int, colour: String) async throws -> Challenge {
        struct Body: Encodable { let opponent, ruleset: String; let size: Int; let colour: String }
        return try await send("POST", "challenges/", body: Body(opponent: opponent, ruleset: ruleset, size: size, colour: colour))
    }

    func respond(challenge id: Int, answer: String) async throws -> ChallengeAnswer {
        try await send("POST", "challenges/\(id)/respond/", body: ["answer": answer])
    }

    func friends() async throws -> FriendLists { try await send("GET", "friends/") }

    func befriend(username: String) async throws -> Friend { try await send("POST", "friends/", body: ["username": username]) }

    func respond(friendship id: Int, answer: String) async throws -> Friend {
        try await send("POST", "friends/\(id)/respond/", body: ["answer": answer])
    }

    func removeFriend(friendship id: Int) async throws { let _: NoContent = try await send("DELETE", "friends/\(id)/") }

    // MARK: Transport

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    private func send<Answer: Decodable>(_ method: String, _ path: String, query: [String: String?] = [:],
                                         timeout: TimeInterval = 30) async throws -> Answer {
        try await send(method, path, query: query, bodyData: nil, timeout: timeout)
    }

    private func send<Answer: Decodable, Body: Encodable>(_ method: String, _ path: String, body: Body) async throws -> Answer {
        try await send(method, path, query: [:], bodyData: try Self.encoder.encode(body), timeout: 30)
    }

    private func send<Answer: Decodable>(_ method: String, _ path: String, query: [String: String?], bodyData: Data?,
                                         timeout: TimeInterval) async throws -> Answer {
        guard var components = URLComponents(string: baseURL + "/api/v1/" + path) else {
            throw CLIError.usage("not a valid server URL: \(baseURL)")
        }
        let items = query.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        if !items.isEmpty { components.queryItems = items.sorted { $0.name < $1.name } }
        guard let url = components.url else { throw CLIError.usage("not a valid server URL: \(baseURL)") }

        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue(Self.userAgent, forHTTPHeaderField: "User-Agent")
        if let token { request.setValue("Token \(token)", forHTTPHeaderField: "Authorization") }
        if let bodyData {
            request.httpBody = bodyData
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }

        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch let error as URLError {
            throw CLIError.network(url: baseURL, reason: Self.reason(error))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw CLIError.network(url: baseURL, reason: error.localizedDescription)
        }
        guard let http = response as? HTTPURLResponse else { throw CLIError.badResponse("\(baseURL) did not answer with HTTP") }

        guard (200..<300).contains(http.statusCode) else {
            throw Self.apiError(status: http.statusCode, data: data, retryAfter: http.value(forHTTPHeaderField: "Retry-After"))
        }
        if Answer.self == NoContent.self { return NoContent() as! Answer }
        do {
            return try Self.decoder.decode(Answer.self, from: data)
        } catch {
            throw CLIError.badResponse("unexpected answer from \(method) /api/v1/\(path) (HTTP \(http.statusCode)): \(Self.describe(error))")
        }
    }

    private static func apiError(status: Int, data: Data, retryAfter: String?) -> CLIError {
        guard let body = try? decoder.decode(APIErrorBody.self, from: data) else {
            // Not the API's error shape: a proxy in between (502 from nginx when the app is down, …).
            let snippet = String(decoding: data.prefix(200), as: UTF8.self)
                .replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
                .split(whereSeparator: \.isWhitespace).joined(separator: " ")
            let message = "the server answered HTTP \(status)" + (snippet.isEmpty ? "" : ": \(snippet)")
            return .api(status: status, code: "http_\(status)", message: message, fields: [:])
        }
        var message = body.message
        if status == 429, let retryAfter { message += " (try again in \(retryAfter) s)" }
        return .api(status: status, code: body.code, message: message, fields: body.fields ?? [:])
    }

    private static func reason(_ error: URLError) -> String {
        switch error.code {
        case .cannotConnectToHost: "connection refused"
        case .cannotFindHost, .dnsLookupFailed: "unknown host"
        case .timedOut: "timed out"
        case .networkConnectionLost: "connection lost"
        case .notConnectedToInternet: "not connected to a network"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot: "TLS failed (\(error.localizedDescription))"
        case .unsupportedURL, .badURL: "not a valid URL"
        default: error.localizedDescription
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, context):
            "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
             let DecodingError.dataCorrupted(context):
            "bad \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: "\(error)"
        }
    }
}
