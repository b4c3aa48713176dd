import Foundation
import GRDB
import Testing
@testable import FCGIApp
@testable import Store

/// The JSON API in-process: tokens from issue to expiry, every error as JSON with the right status,
/// and moves that reach the browsers' topics exactly like moves made on the page.
@Suite struct APITests {
    func json(_ response: Response) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    func call(_ t: TestApp, _ method: String, _ uri: String, token: String? = nil, body: Any? = nil,
              contentType: String? = "application/json", headers: [String: String] = [:]) -> Response {
        var headers = headers
        if let token { headers["Authorization"] = "Token \(token)" }
        let bytes = body.map { Array((try? JSONSerialization.data(withJSONObject: $0)) ?? Data()) } ?? []
        return t.app.respond(params: t.params(method, uri, headers: headers, bodyLength: bytes.count, contentType: body == nil ? nil : contentType),
                             body: bytes)
    }

    func token(_ t: TestApp, _ username: String, device: String = "laptop") -> (token: String, id: Int64) {
        let issued = json(call(t, "POST", "/api/v1/auth/token/", body: ["username": username, "password": "correct-horse-battery",
                                                                      "device_name": device, "device_info": ["os": "linux", "v": 1]]))
        return (issued["token"] as? String ?? "", ((issued["token_info"] as? [String: Any])?["id"] as? Int).map(Int64.init) ?? 0)
    }

    @Test func tokensAreIssuedUsedRefreshedListedRevokedAndExpire() throws {
        let t = try TestApp()
        try t.createUser("ana")
        let issued = call(t, "POST", "/api/v1/auth/token/", body: ["username": "ana", "password": "correct-horse-battery",
                                                                  "device_name": "phone", "device_info": ["os": "android"]])
        #expect(issued.status == .created && issued.header("Content-Type") == "application/json")
        #expect(String(decoding: issued.cgiBytes(), as: UTF8.self).hasPrefix("Status: 201 Created\r\n"))
        let body = json(issued)
        let first = try #require(body["token"] as? String)
        #expect((body["token_info"] as? [String: Any])?["device_name"] as? String == "phone")
        // Stored hashed only.
        #expect(try t.app.store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?", arguments: [Data(first.utf8)]) } == 0)
        #expect(json(call(t, "GET", "/api/v1/me/", token: first))["username"] as? String == "ana")
        let second = token(t, "ana", device: "laptop")
        let listed = json(call(t, "GET", "/api/v1/auth/tokens/", token: first))["tokens"] as? [[String: Any]] ?? []
        #expect(listed.map { $0["device_name"] as? String } == ["phone", "laptop"])
        #expect(listed.map { $0["current"] as? Bool } == [true, false])
        #expect((listed[0]["device_info"] as? [String: Any])?["os"] as? String == "android")
        #expect(listed[0]["last_used_at"] as? Int != nil, "used once, so last_used_at is set")

        let refreshed = json(call(t, "POST", "/api/v1/auth/token/refresh/", token: first))
        let renewed = try #require(refreshed["token"] as? String)
        #expect(call(t, "GET", "/api/v1/me/", token: first).status == .unauthorized, "the old token is revoked")
        #expect(call(t, "GET", "/api/v1/me/", token: renewed).status == .ok)
        #expect(call(t, "DELETE", "/api/v1/auth/tokens/\(second.id)/", token: renewed).status == .noContent)
        #expect(call(t, "GET", "/api/v1/me/", token: second.token).status == .unauthorized)
        #expect(call(t, "DELETE", "/api/v1/auth/tokens/\(second.id)/", token: renewed).status == .notFound)
        // Expiry.
        try t.app.store.write { db in try db.execute(sql: "UPDATE api_tokens SET expires_at = 1") }
        let expired = call(t, "GET", "/api/v1/me/", token: renewed)
        #expect(expired.status == .unauthorized && expired.header("WWW-Authenticate") == "Token")
        #expect(String(decoding: expired.cgiBytes(), as: UTF8.self).hasPrefix("Status: 401 Unauthorized\r\n"))
        #expect(json(expired)["code"] as? String == "unauthorized")
        #expect(try t.app.store.purgeExpiredAPITokens() == 1)
    }

    @Test func sessionsNeverAuthenticateTheAPIAndErrorsAreJSON() throws {
        let t = try TestApp()
        try t.createUser("ben")
        let cookie = try t.sessionCookie("ben")
        let withCookie = call(t, "GET", "/api/v1/me/", headers: ["Cookie": cookie])
        #expect(withCookie.status == .unauthorized && json(withCookie)["code"] as? String == "unauthorized")
        let (tok, _) = token(t, "ben")
        let cases: [(Response, HTTPStatus, String)] = [
            (call(t, "GET", "/api/v1/nothing/", token: tok), .notFound, "not_found"),
            (call(t, "PUT", "/api/v1/me/", token: tok), .methodNotAllowed, "method_not_allowed"),
            (call(t, "POST", "/api/v1/games/1/move/", token: tok, body: ["row": 1, "col": 1], contentType: "text/plain"), .unsupportedMediaType, "unsupported_media_type"),
            (t.app.respond(params: t.params("POST", "/api/v1/games/1/move/", headers: ["Authorization": "Token \(tok)"], bodyLength: 3,
                                            contentType: "application/json"), body: Array("[1]".utf8)), .badRequest, "bad_request"),
            (call(t, "POST", "/api/v1/games/1/move/", token: tok, body: ["row": true, "col": 1]), .unprocessableContent, "unprocessable"),
            (call(t, "POST", "/api/v1/games/1/move/", token: tok, body: ["col": 1]), .unprocessableContent, "unprocessable"),
            (call(t, "POST", "/api/v1/games/99/move/", token: tok, body: ["row": 1, "col": 1]), .notFound, "not_found"),
            (call(t, "GET", "/api/v1/games/?page=0", token: tok), .badRequest, "bad_request"),
            (call(t, "GET", "/api/v1/me/", token: "not-a-token"), .unauthorized, "unauthorized"),
        ]
        for (response, status, code) in cases {
            #expect(response.status == status && json(response)["code"] as? String == code, "\(status.rawValue) \(response.text)")
            #expect(response.header("Content-Type") == "application/json")
        }
        let mistyped = json(call(t, "POST", "/api/v1/games/1/move/", token: tok, body: ["row": "a", "col": 1]))
        #expect((mistyped["fields"] as? [String: String])?["row"] == "Expected an integer.")
        #expect(call(t, "GET", "/api/v1/openapi.json").status == .ok)
    }

    @Test func tooManyWrongPasswordsAre429() throws {
        let t = try TestApp()
        try t.createUser("cal")
        for _ in 0..<5 {
            #expect(call(t, "POST", "/api/v1/auth/token/", body: ["username": "cal", "password": "wrong-wrong-wrong", "device_name": "x"]).status == .unauthorized)
        }
        let limited = call(t, "POST", "/api/v1/auth/token/", body: ["username": "cal", "password": "correct-horse-battery", "device_name": "x"])
        #expect(limited.status == .tooManyRequests && limited.header("Retry-After") != nil)
    }

    @Test func registerValidatesAndRefusesDuplicates() throws {
        let t = try TestApp()
        let made = call(t, "POST", "/api/v1/auth/register/", body: ["username": "dee", "email": "dee@example.org", "display_name": "Dee", "password": "long-enough-pass"])
        #expect(made.status == .created && json(made)["username"] as? String == "dee")
        let again = call(t, "POST", "/api/v1/auth/register/", body: ["username": "dee", "email": "dee2@example.org", "display_name": "Dee", "password": "long-enough-pass"])
        #expect(again.status == .conflict && (json(again)["fields"] as? [String: String])?["username"] != nil)
        let bad = call(t, "POST", "/api/v1/auth/register/", body: ["username": "x", "email": "nope", "display_name": "", "password": "short"])
        #expect(bad.status == .unprocessableContent && (json(bad)["fields"] as? [String: String])?.count == 4)
    }

    @Test func apiMovesArePublishedLikePageMovesAndStaleOnesAre409() throws {
        let t = try TestApp()
        _ = try t.app.store.seedDemo(users: 2, games: 1, password: "unused-password", passwordHash: t.app.passwords.hash("correct-horse-battery"))
        let (black, _) = token(t, "player1")
        let (white, _) = token(t, "player2")
        let before = try t.app.store.latestNotificationID()
        let moved = call(t, "POST", "/api/v1/games/1/move/", token: black, body: ["row": 7, "col": 7, "move_number": 1])
        #expect(moved.status == .ok)
        let game = json(moved)
        #expect(game["move_count"] as? Int == 1 && game["to_move"] as? String == "white" && game["your_colour"] as? String == "black")
        #expect((game["board"] as? [String])?[7] == ".......x.......")
        let pushed = try t.app.store.notifications(after: before)
        #expect(pushed.contains { $0.topic == "game:1" && $0.html.contains(#"aria-label="h8 black""#) })
        #expect(call(t, "POST", "/api/v1/games/1/move/", token: black, body: ["row": 7, "col": 8, "move_number": 1]).status == .conflict)
        let notYours = call(t, "POST", "/api/v1/games/1/move/", token: black, body: ["row": 7, "col": 8])
        #expect(notYours.status == .conflict && (json(notYours)["message"] as? String ?? "").contains("not yours"))
        // Long-poll: answers at once when the game already has more moves than asked.
        let polled = call(t, "GET", "/api/v1/games/1/?after_move=0&wait=5", token: white)
        #expect(polled.status == .ok && json(polled)["move_count"] as? Int == 1)
        let listed = json(call(t, "GET", "/api/v1/games/?status=all", token: white))
        #expect(listed["total"] as? Int == 1)
    }
}
