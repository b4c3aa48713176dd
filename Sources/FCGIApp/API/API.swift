import Domain
import Foundation
import GRDB
import Platform
import Store

/// What an API handler knows: the request, the route and the token's user (nil on public endpoints).
struct APIContext {
    let request: Request
    let route: APIRoute
    let user: User?
    let token: APIToken?

    func requireUser() throws -> User {
        guard let user else { throw APIError(.unauthorized, "Send your token: Authorization: Token <token>.") }
        return user
    }
}

extension App {
    /// Answers /api/…: token authentication only (cookies are ignored, so no CSRF), JSON errors only.
    func handleAPI(_ request: Request) -> Response {
        do {
            guard let route = APIRoute.match(request.path) else {
                throw APIError(.notFound, "There is no API endpoint at \(request.path.prefix(200)).")
            }
            guard route.methods.contains(request.method) else {
                throw APIError(.methodNotAllowed, "\(request.method.rawValue) is not allowed here.",
                               headers: [("Allow", route.methods.map(\.rawValue).joined(separator: ", "))])
            }
            guard request.body.count <= config.maxBodyBytes else {
                throw APIError(.payloadTooLarge, "The request body is larger than \(config.maxBodyBytes / 1024) KiB.")
            }
            var user: User?
            var token: APIToken?
            if let header = request.header("authorization") {
                let parts = header.split(separator: " ", maxSplits: 1)
                let text = parts.count == 2 ? String(parts[1].trimmingSpacesAndTabs) : ""
                guard parts.count == 2, parts[0].lowercased() == "token", Base64URL.decode(text)?.count == 32,
                      let found = try store.apiTokenUser(hash: Digest.sha256(text)) else {
                    throw APIError(.unauthorized, "This token is not valid (it may have expired or been revoked); get a new one.",
                                   headers: [("WWW-Authenticate", "Token")])
                }
                (token, user) = (found.0, found.1)
            }
            let context = APIContext(request: request, route: route, user: user, token: token)
            if !route.isPublic { _ = try context.requireUser() }
            return try dispatchAPI(route, context)
        } catch let error as APIError {
            var response = error.response
            if error.status == .unauthorized, response.header("WWW-Authenticate") == nil { response.setHeader("WWW-Authenticate", "Token") }
            return response
        } catch let error as HTTPError {
            return APIError(error).response
        } catch {
            logger.error("unhandled API error", metadata: ["error": .string(String(reflecting: error)), "path": .string(request.path)])
            return APIError(.internalServerError, "Something went wrong on our side; please try again.").response
        }
    }

    /// The one switch from API routes to handlers.
    private func dispatchAPI(_ route: APIRoute, _ context: APIContext) throws -> Response {
        switch route {
        case .openAPI: try openAPIDocument()
        case .register: try apiRegister(context)
        case .token: try apiToken(context)
        case .tokenRefresh: try apiTokenRefresh(context)
        case .tokens: try apiTokens(context)
        case .tokenDelete(let id): try apiTokenDelete(context, id: id)
        case .me: .json(UserJSON(try context.requireUser()))
        case .games: try apiGames(context)
        case .game(let id): try apiGame(context, id: id)
        case .gameMove(let id): try apiMove(context, id: id)
        case .gameResign(let id): try apiResign(context, id: id)
        case .challenges: try context.request.method == .POST ? apiCreateChallenge(context) : apiChallenges(context)
        case .challengeRespond(let id): try apiRespondChallenge(context, id: id)
        case .friends: try context.request.method == .POST ? apiRequestFriend(context) : apiFriends(context)
        case .friendRespond(let id): try apiRespondFriend(context, id: id)
        case .friend(let id): try apiRemoveFriend(context, id: id)
        }
    }

    private func openAPIDocument() throws -> Response {
        guard let data = FileManager.default.contents(atPath: config.root + "/static/api/openapi.json") else {
            throw APIError(.notFound, "The OpenAPI document is not installed.")
        }
        var response = Response(status: .ok, headers: [("Content-Type", "application/json")], body: Array(data))
        response.setHeader("Cache-Control", "public, max-age=300")
        return response
    }

    // MARK: Accounts and tokens

    private struct RegisterBody: Decodable {
        let username: String
        let email: String
        let display_name: String
        let password: String
    }

    private func apiRegister(_ context: APIContext) throws -> Response {
        let body = try context.request.decodeJSON(RegisterBody.self)
        let form = RegistrationForm(username: body.username, email: body.email, displayName: body.display_name, password: body.password)
        var fields: [String: String] = [:]
        for (field, error) in form.errors() { fields[field.rawValue] = error.message }
        if fields.isEmpty {
            switch try store.createUser(username: form.username, email: form.email, displayName: form.displayName,
                                        passwordHash: passwords.hash(form.password)) {
            case .success(let user): return .json(UserJSON(user), status: .created)
            case .failure(.usernameTaken): fields["username"] = "That username is taken. Choose another."
            case .failure(.emailTaken): fields["email"] = "An account with this email address already exists."
            }
        }
        throw APIError(fields.keys.contains { ["username", "email"].contains($0) } && fields.values.contains { $0.contains("taken") || $0.contains("exists") }
                       ? .conflict : .unprocessableContent,
                       "The account could not be created.", fields: fields)
    }

    private struct TokenBody: Decodable {
        let username: String
        let password: String
        let device_name: String
        let device_info: [String: JSONValue]?
    }

    private func apiToken(_ context: APIContext) throws -> Response {
        let body = try context.request.decodeJSON(TokenBody.self)
        let deviceName = body.device_name.trimmingWhitespace()
        guard (1...100).contains(deviceName.count) else {
            throw APIError(.unprocessableContent, "Name the device (1 to 100 characters).", fields: ["device_name": "1 to 100 characters."])
        }
        let deviceInfo = String(decoding: try JSONEncoder().encode(body.device_info ?? [:]), as: UTF8.self)
        guard deviceInfo.utf8.count <= 2048 else {
            throw APIError(.unprocessableContent, "device_info is too large.", fields: ["device_info": "At most 2 KiB of JSON."])
        }
        let user = try checkPassword(username: body.username, password: body.password, remoteAddress: context.request.remoteAddress)
        return try issueToken(for: user, deviceName: deviceName, deviceInfo: deviceInfo, replacing: nil)
    }

    /// The same throttling as the sign-in form: failures counted per account and per client address.
    private func checkPassword(username rawUsername: String, password: String, remoteAddress: String) throws -> User {
        let username = rawUsername.trimmingWhitespace()
        let accountScope = "account:" + username.lowercased()
        let clientScope = "client:" + remoteAddress
        if try store.recentLoginFailures(scope: accountScope, window: Self.throttleWindow) >= Self.accountFailureLimit
            || store.recentLoginFailures(scope: clientScope, window: Self.throttleWindow) >= Self.clientFailureLimit {
            throw APIError(.tooManyRequests, "Too many failed sign-ins. Wait 15 minutes and try again.",
                           headers: [("Retry-After", String(Self.throttleWindow))])
        }
        let user = username.isEmpty ? nil : try store.user(username: username)
        guard let user, passwords.verify(password, against: user.passwordHash) else {
            if user == nil { passwords.burnTime(password) }
            try store.recordLoginFailure(scopes: [accountScope, clientScope])
            throw APIError(.unauthorized, "That username and password do not match.")
        }
        try store.clearLoginFailures(scope: accountScope)
        return user
    }

    private func issueToken(for user: User, deviceName: String, deviceInfo: String, replacing old: APIToken?) throws -> Response {
        let token = Random.token()
        let record = try store.write { db -> APIToken in
            if let old { _ = try Store.deleteAPIToken(db, id: old.id, userID: user.id) }
            return try Store.createAPIToken(db, userID: user.id, hash: Digest.sha256(token), deviceName: deviceName, deviceInfo: deviceInfo,
                                            lifetime: config.apiTokenLifetime)
        }
        return .json(IssuedTokenJSON(token: token, expires_at: record.expiresAt, token_info: TokenInfoJSON(record, current: true)),
                     status: .created)
    }

    private func apiTokenRefresh(_ context: APIContext) throws -> Response {
        let user = try context.requireUser()
        guard let old = context.token else { throw APIError(.unauthorized, "Send the token to refresh.") }
        return try issueToken(for: user, deviceName: old.deviceName, deviceInfo: old.deviceInfo, replacing: old)
    }

    private func apiTokens(_ context: APIContext) throws -> Response {
        let user = try context.requireUser()
        let tokens = try store.read { db in try Store.apiTokens(db, userID: user.id) }
        return .json(["tokens": tokens.map { TokenInfoJSON($0, current: $0.id == context.token?.id) }])
    }

    private func apiTokenDelete(_ context: APIContext, id: Int64) throws -> Response {
        let user = try context.requireUser()
        guard try store.write({ db in try Store.deleteAPIToken(db, id: id, userID: user.id) }) else {
            throw APIError(.notFound, "You have no token \(id).")
        }
        return Response(status: .noContent, headers: [], body: [])
    }
}
