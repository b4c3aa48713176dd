import Platform
import Foundation
import Testing
@testable import FCGIApp
@testable import Store

/// The whole handler stack in-process: routing, sessions, CSRF, rendering, on a real SQLite file.
/// Whole responses are compared with snapshots in `__Snapshots__/`.
@Suite struct HandlerTests {
    @Test func requestIDsAreDistinctAndShareTheirProcesssRandomPart() async {
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { (0..<500).map { _ in RequestIDs.next() } } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(ids).count == 2000)
        #expect(Set(ids.map { $0.prefix(9) }).count == 1 && ids[0].dropFirst(8).first == ".")
    }

    @Test func loginPage() throws {
        let t = try TestApp()
        let response = t.get("/accounts/login/?next=/games/")
        assertSnapshot(response, named: "login-page")
        #expect(response.text.contains(#"<input type="hidden" name="next" value="/games/">"#))
    }

    @Test func loginPageForHTMXIsTheFormFragment() throws {
        let t = try TestApp()
        assertSnapshot(t.get("/accounts/login/", headers: ["HX-Request": "true"]), named: "login-form-fragment")
        let restore = t.get("/accounts/login/", headers: ["HX-Request": "true", "HX-History-Restore-Request": "true"])
        #expect(restore.text.hasPrefix("<!doctype html>"), "a history restore gets the full page")
        let boosted = t.get("/accounts/login/", headers: ["HX-Request": "true", "HX-Boosted": "true"])
        #expect(boosted.text.hasPrefix("<!doctype html>"))
    }

    @Test func homeGreetsTheSignedInUser() throws {
        let t = try TestApp()
        try t.createUser("alice")
        assertSnapshot(t.get("/"), named: "home-anonymous")
        let signedIn = t.get("/", headers: ["Cookie": try t.sessionCookie("alice")])
        assertSnapshot(signedIn, named: "home-signed-in")
    }

    @Test func loginSucceedsWithRotatedCookiesAndRedirects() throws {
        let t = try TestApp()
        try t.createUser("bob")
        let plain = t.post("/accounts/login/", form: [("username", "bob"), ("password", "correct-horse-battery"), ("next", "/games/")])
        #expect(plain.status == .seeOther && plain.header("Location") == "/games/")
        let cookies = plain.headers.filter { $0.0 == "Set-Cookie" }.map(\.1)
        #expect(cookies.contains { $0.hasPrefix("gomoku_session=") && $0.contains("HttpOnly") && $0.contains("SameSite=Lax") })
        #expect(cookies.contains { $0.hasPrefix("gomoku_csrf=") }, "the CSRF cookie rotates on login")
        let session = cookies.first { $0.hasPrefix("gomoku_session=") }!.split(separator: ";")[0]
        #expect(t.get("/", headers: ["Cookie": String(session)]).text.contains("Welcome back, Bob!"))

        let htmx = t.post("/accounts/login/", form: [("username", "bob"), ("password", "correct-horse-battery"), ("next", "//evil.example/")],
                          headers: ["HX-Request": "true"])
        #expect(htmx.status == .ok && htmx.header("HX-Redirect") == "/", "an off-site next becomes /")
    }

    @Test func loginFailureRerendersTheFormAndThrottles() throws {
        let t = try TestApp()
        try t.createUser("carol")
        let wrong = t.post("/accounts/login/", form: [("username", "carol"), ("password", "wrong-password-1")], headers: ["HX-Request": "true"])
        assertSnapshot(wrong, named: "login-wrong-password-fragment")
        for _ in 0..<4 { _ = t.post("/accounts/login/", form: [("username", "carol"), ("password", "wrong-password-1")]) }
        let throttled = t.post("/accounts/login/", form: [("username", "carol"), ("password", "correct-horse-battery")])
        #expect(throttled.status == .tooManyRequests && throttled.header("Retry-After") == "900")
        #expect(throttled.text.contains("Too many failed sign-ins"))
        let empty = t.post("/accounts/login/", form: [("username", ""), ("password", "")])
        #expect(empty.status == .unprocessableContent && empty.text.contains("Enter your username and password."))
    }

    @Test func registrationCreatesAccountAndSignsIn() throws {
        let t = try TestApp()
        let response = t.post("/accounts/register/", form: [
            ("username", "dave"), ("email", "dave@example.org"), ("display_name", "Dave D"), ("password", "correct-horse-battery"),
        ])
        #expect(response.status == .seeOther && response.header("Location") == "/")
        #expect(response.headers.contains { $0.0 == "Set-Cookie" && $0.1.hasPrefix("gomoku_session=") })
        #expect(try t.app.store.user(username: "dave")?.displayName == "Dave D")
    }

    @Test func registrationErrorsKeepTheValuesButNotThePassword() throws {
        let t = try TestApp()
        try t.createUser("erin")
        let response = t.post("/accounts/register/", form: [
            ("username", "Erin"), ("email", "not-an-email"), ("display_name", "<b>E</b>"), ("password", "short"),
        ])
        assertSnapshot(response, named: "register-errors")
        #expect(!response.text.contains("value=\"short\""))
        #expect(try t.app.store.user(username: "Erin")?.email == "erin@example.org", "nothing changed")
    }

    @Test func liveValidationAnswersWithOutOfBandFragments() throws {
        let t = try TestApp()
        try t.createUser("frank")
        let taken = t.post("/accounts/register/validate/", form: [("username", "frank"), ("email", ""), ("display_name", ""), ("password", "")],
                           headers: ["HX-Request": "true", "HX-Trigger-Name": "username"])
        assertSnapshot(taken, named: "validate-username-taken")
        let fine = t.post("/accounts/register/validate/", form: [
            ("username", "grace"), ("email", "g@example.org"), ("display_name", "Grace"), ("password", "correct-horse-battery"),
        ], headers: ["HX-Request": "true", "HX-Trigger-Name": "password"])
        assertSnapshot(fine, named: "validate-all-valid")
        let onLoad = t.post("/accounts/register/validate/", form: [("username", "")], headers: ["HX-Request": "true"])
        #expect(onLoad.text == "<button id=\"register-submit\" type=\"submit\" class=\"button\" hx-swap-oob=\"true\" disabled>Create account</button>\n")
    }

    @Test func logoutNeedsAPostAndEndsTheSession() throws {
        let t = try TestApp()
        try t.createUser("heidi")
        let cookie = try t.sessionCookie("heidi")
        let page = t.get("/accounts/logout/", headers: ["Cookie": cookie])
        #expect(page.status == .ok && page.text.contains("You are signed in as <strong>Heidi</strong>"))
        let out = t.post("/accounts/logout/", headers: ["Cookie": cookie])
        #expect(out.status == .seeOther && out.header("Location") == "/")
        #expect(out.headers.contains { $0.0 == "Set-Cookie" && $0.1.hasPrefix("gomoku_session=;") && $0.1.contains("Max-Age=0") })
        #expect(!t.get("/", headers: ["Cookie": cookie]).text.contains("Welcome back"))
    }

    @Test func errorPagesAndFragments() throws {
        let t = try TestApp()
        assertSnapshot(t.get("/no/such/page/"), named: "not-found-page")
        assertSnapshot(t.get("/no/such/page/", headers: ["HX-Request": "true"]), named: "not-found-fragment")
        let wrongMethod = t.post("/", form: [])
        #expect(wrongMethod.status == .methodNotAllowed && wrongMethod.header("Allow") == "GET, HEAD")
        let slash = t.get("/accounts/login?next=/x/")
        #expect(slash.status == .seeOther && slash.header("Location") == "/accounts/login/?next=/x/")
    }

    @Test func unsafeRequestsNeedCSRF() throws {
        let t = try TestApp()
        let none = t.post("/accounts/register/", form: [("username", "mallory")], csrf: false)
        #expect(none.status == .forbidden && none.text.contains("security cookie"))
        let forged = t.post("/accounts/register/", form: [("username", "mallory")], headers: ["X-CSRF-Token": "forged"])
        #expect(forged.status == .forbidden)
        let foreign = t.post("/accounts/register/", form: [("username", "mallory")], headers: ["Origin": "http://evil.example"])
        #expect(foreign.status == .forbidden && foreign.text.contains("another site"))
        #expect(try t.app.store.user(username: "mallory") == nil)
    }

    @Test func badBodiesAre4xx() throws {
        let t = try TestApp()
        #expect(t.post("/accounts/login/", body: Array("a=%zz".utf8)).status == .badRequest)
        #expect(t.post("/accounts/login/", body: [0x61, 0x3D, 0xC3], contentType: "application/x-www-form-urlencoded").status == .badRequest)
        #expect(t.post("/accounts/login/", body: Array("<x/>".utf8), contentType: "application/xml").status == .unsupportedMediaType)
        let big = t.post("/accounts/login/", body: Array(repeating: 0x61, count: 1_048_577))
        #expect(big.status == .payloadTooLarge)
        let tooBigForTransport = t.app.respond(params: t.params("POST", "/accounts/login/", headers: [:], bodyLength: 5_000_000, contentType: nil),
                                               rejecting: HTTPError(.payloadTooLarge, "The request body is larger than 1024 KiB."))
        #expect(tooBigForTransport.status == .payloadTooLarge && tooBigForTransport.text.contains("larger than 1024 KiB"))
    }

    @Test func securityHeadersOnEveryResponse() throws {
        let t = try TestApp()
        for response in [t.get("/"), t.get("/missing"), t.post("/accounts/login/", csrf: false)] {
            #expect(response.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
            #expect(response.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
            #expect(response.header("X-Content-Type-Options") == "nosniff")
            #expect(response.header("Referrer-Policy") == "same-origin")
        }
    }

    @Test func headHasNoBody() throws {
        let t = try TestApp()
        let response = t.app.respond(params: t.params("HEAD", "/accounts/login/", headers: [:], bodyLength: 0, contentType: nil), body: [])
        #expect(response.status == .ok && response.body.isEmpty && Int(response.header("Content-Length") ?? "") ?? 0 > 1000)
    }

    @Test func internalErrorsShowNothingUnlessDev() throws {
        struct Boom: Error {}
        let production = try TestApp()
        let hidden = production.app.errorResponse(Boom(), request: nil, params: ["SECRET_PARAM": "x"], requestID: "abcdefgh")
        #expect(hidden.status == .internalServerError && !hidden.text.contains("Boom") && !hidden.text.contains("SECRET_PARAM"))
        #expect(hidden.text.contains("reference abcdefgh"))
        let dev = try TestApp(dev: true)
        let shown = dev.app.errorResponse(Boom(), request: nil, params: ["SECRET_PARAM": "x"], requestID: "abcdefgh")
        #expect(shown.text.contains("Boom") && shown.text.contains("SECRET_PARAM"))
    }
}
