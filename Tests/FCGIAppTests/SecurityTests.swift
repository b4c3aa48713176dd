import Platform
import Foundation
import Testing
@testable import FCGIApp

@Suite struct PasswordHasherTests {
    let hasher = PasswordHasher(iterations: 600_000)

    @Test func hashesVerifyAndAreSaltedPerUser() {
        let a = hasher.hash("correct-horse-battery")
        let b = hasher.hash("correct-horse-battery")
        #expect(a.hasPrefix("pbkdf2_sha256$600000$"))
        #expect(a != b, "each hash has its own salt")
        #expect(hasher.verify("correct-horse-battery", against: a))
        #expect(!hasher.verify("correct-horse-batterY", against: a))
        #expect(!hasher.needsRehash(a))
    }

    @Test func knownVectorFromRFC7914() {
        // PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64) from RFC 7914 §11, first 32 bytes.
        let derived = PasswordHasher.derive("passwd", salt: "salt", iterations: 1)
        #expect(derived.map { String(format: "%02x", $0) }.joined() == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
    }

    @Test func malformedHashesNeverMatch() {
        for stored in ["", "plain", "md5$1$a$b", "pbkdf2_sha256$0$a$b", "pbkdf2_sha256$x$a$b", "pbkdf2_sha256$1$salt$%%%"] {
            #expect(!hasher.verify("anything", against: stored), "\(stored)")
        }
        #expect(hasher.needsRehash("pbkdf2_sha256$1000$a$b"))
    }
}

@Suite struct CSRFTests {
    let csrf = CSRF(secret: Array("0123456789abcdef0123456789abcdef".utf8))
    let cookie = Random.token()
    let otherCookie = Random.token()

    func request(cookie: String?, token: String?, origin: String? = nil, https: Bool = false, referer: String? = nil) throws -> Request {
        var params = ["REQUEST_METHOD": "POST", "REQUEST_URI": "/x/", "HTTP_HOST": "example.org"]
        if let cookie { params["HTTP_COOKIE"] = "\(CSRF.cookieName)=\(cookie)" }
        if let token { params["HTTP_X_CSRF_TOKEN"] = token }
        if let origin { params["HTTP_ORIGIN"] = origin }
        if let referer { params["HTTP_REFERER"] = referer }
        if https { params["HTTPS"] = "on" }
        return try Request(params: params, body: [])
    }

    /// As the app checks: against the token of the request's cookie, when it is a valid one.
    func check(_ request: Request, form: FormFields = [:]) throws {
        try csrf.check(request, form: form, expected: CSRF.validCookie(of: request).map(csrf.token(for:)))
    }

    @Test func aCookiesTokenIsItsHMACWhetherRememberedOrNot() {
        let secret = Array("0123456789abcdef0123456789abcdef".utf8)
        func expected(_ cookie: String) -> String { Base64URL.encode(Digest.hmac("csrf:" + cookie, key: secret)) }
        #expect(csrf.token(for: cookie) == expected(cookie))
        #expect(csrf.token(for: cookie) == expected(cookie), "remembered")
        #expect(csrf.token(for: otherCookie) == expected(otherCookie))
        // Past the number of cookies remembered, tokens are still right (the memory starts over).
        for _ in 0..<5000 { _ = csrf.token(for: Random.token()) }
        #expect(csrf.token(for: cookie) == expected(cookie))
        // Another secret, another token for the same cookie.
        let other = CSRF(secret: Array("fedcba9876543210fedcba9876543210".utf8))
        #expect(other.token(for: cookie) != csrf.token(for: cookie))
    }

    @Test func acceptsTheTokenOfItsCookieByHeaderOrField() throws {
        let token = csrf.token(for: cookie)
        try check(request(cookie: cookie, token: token, origin: "http://example.org"))
        try check(request(cookie: cookie, token: nil), form: ["csrf_token": [token]])
    }

    @Test func refusesMissingOrForgedTokensAndForeignOrigins() throws {
        let token = csrf.token(for: cookie)
        let cases: [(Request, String)] = [
            (try request(cookie: nil, token: token), "security cookie"),
            (try request(cookie: "not-one-of-ours", token: csrf.token(for: "not-one-of-ours")), "security cookie"),
            (try request(cookie: cookie, token: nil), "missing its security token"),
            (try request(cookie: cookie, token: csrf.token(for: otherCookie)), "out of date"),
            (try request(cookie: otherCookie, token: token), "out of date"),
            (try request(cookie: cookie, token: token, origin: "http://evil.example"), "another site"),
            (try request(cookie: cookie, token: token, origin: "https://example.org"), "another site"),
            (try request(cookie: cookie, token: token, https: true), "did not say which page"),
            (try request(cookie: cookie, token: token, https: true, referer: "https://evil.example/"), "did not say which page"),
        ]
        for (request, phrase) in cases {
            do {
                try check(request)
                Issue.record("accepted: \(request.headers)")
            } catch let error as HTTPError {
                #expect(error.status == .forbidden)
                #expect(error.message.contains(phrase), "\(error.message)")
            }
        }
        try check(request(cookie: cookie, token: token, https: true, referer: "https://example.org/accounts/login/"))
    }
}

@Suite struct ConfigTests {
    func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("config-tests-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func flagsBeatEnvironmentWhichBeatsTheFile() throws {
        let dir = temporaryDirectory()
        try "# comment\nlog_level = warning\nmax_body = 100\ndev = true\nthreads = \"3\"\n".write(toFile: dir + "/g.conf", atomically: true, encoding: .utf8)
        let sources = try Config.Sources.gather(flags: ["log_level": "debug"],
                                                environment: ["GOMOKU_MAX_BODY": "200", "GOMOKU_ROOT": repositoryRoot],
                                                configFile: dir + "/g.conf")
        #expect(sources["log_level"] == "debug" && sources["max_body"] == "200" && sources["dev"] == "true" && sources["threads"] == "3")
        #expect(sources.configFile == dir + "/g.conf")
    }

    @Test func unknownKeysAndBadValuesAreErrors() throws {
        let dir = temporaryDirectory()
        try "colour = blue\n".write(toFile: dir + "/bad.conf", atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try Config.Sources.gather(flags: [:], environment: [:], configFile: dir + "/bad.conf") }
        #expect(throws: ConfigError.self) { try Config.Sources.gather(flags: [:], environment: [:], configFile: dir + "/missing.conf") }
        let base = ["root": repositoryRoot, "data_dir": dir]
        #expect(throws: ConfigError.self) { try Config.resolve(.init(values: base.merging(["max_body": "lots"]) { $1 })) }
        #expect(throws: ConfigError.self) { try Config.resolve(.init(values: base.merging(["dev": "maybe"]) { $1 })) }
        #expect(throws: ConfigError.self) { try Config.resolve(.init(values: base.merging(["secret": "short"]) { $1 })) }
        #expect(throws: ConfigError.self) { try Config.resolve(.init(values: base.merging(["password_iterations": "1000"]) { $1 })) }
    }

    @Test func theSecretIsGeneratedOnceWithMode0600() throws {
        let dir = temporaryDirectory()
        let first = try Config.resolve(.init(values: ["root": repositoryRoot, "data_dir": dir]))
        let second = try Config.resolve(.init(values: ["root": repositoryRoot, "data_dir": dir]))
        #expect(first.secret == second.secret && first.secret.count == 64)
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/secret")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(first.databasePath == dir + "/gomoku.sqlite3" && first.templatesDir == repositoryRoot + "/templates")
        // A secret an admin wrote by hand is read without the whitespace around it.
        let other = temporaryDirectory()
        let written = String(repeating: "ab", count: 20)
        try " \t\(written)\r\n\n".write(toFile: other + "/secret", atomically: true, encoding: .utf8)
        #expect(try Config.resolve(.init(values: ["root": repositoryRoot, "data_dir": other])).secret == Array(written.utf8))
    }
}
