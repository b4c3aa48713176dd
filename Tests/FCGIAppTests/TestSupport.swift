import Platform
import Foundation
import Testing
@testable import FCGIApp
@testable import Store

/// The repository root, found from this file's path.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.path + "/Package.swift") { return url.path }
    }
    fatalError("Package.swift not found above \(#filePath)")
}()

/// The real app on a real SQLite file in a fresh directory, driven in-process like a web server would.
struct TestApp {
    let app: App
    let dataDir: String

    init(dev: Bool = false) throws {
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("app-tests-\(UUID().uuidString)").path
        let sources = Config.Sources(values: ["root": repositoryRoot, "data_dir": dataDir, "dev": dev ? "true" : "false"])
        app = try App(config: Config.resolve(sources))
    }

    private init(app: App, dataDir: String) {
        self.app = app
        self.dataDir = dataDir
    }

    /// Another app on the same database file, as a second worker process is (its own caches).
    func worker() throws -> TestApp { TestApp(app: try App(config: app.config), dataDir: dataDir) }

    /// This app as one of a FastCGI worker's request threads runs it: reading through a connection of its
    /// own, which keeps memoized reads between commits.
    func requestThread() throws -> TestApp { TestApp(app: try app.forRequestThread(), dataDir: dataDir) }

    /// FastCGI params as nginx sends them for a request to http://localhost.
    func params(_ method: String, _ uri: String, headers: [String: String], bodyLength: Int, contentType: String?) -> [String: String] {
        var params = [
            "REQUEST_METHOD": method, "REQUEST_URI": uri, "SCRIPT_NAME": uri.split(separator: "?").first.map(String.init) ?? uri,
            "QUERY_STRING": uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? "",
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost", "GATEWAY_INTERFACE": "CGI/1.1",
        ]
        for (name, value) in headers { params["HTTP_" + name.uppercased().replacingOccurrences(of: "-", with: "_")] = value }
        if bodyLength > 0 { params["CONTENT_LENGTH"] = String(bodyLength) }
        if let contentType { params["CONTENT_TYPE"] = contentType }
        return params
    }

    func get(_ uri: String, headers: [String: String] = [:]) -> Response {
        app.respond(params: params("GET", uri, headers: headers, bodyLength: 0, contentType: nil), body: [])
    }

    /// A POST with a valid CSRF cookie and token unless `csrf` is false.
    func post(_ uri: String, form: [(String, String)] = [], body rawBody: [UInt8]? = nil,
              contentType: String? = "application/x-www-form-urlencoded", headers: [String: String] = [:], csrf: Bool = true) -> Response {
        var headers = headers
        if csrf {
            let pair = app.csrfPair()
            headers["Cookie"] = [headers["Cookie"], pair.cookie].compactMap { $0 }.joined(separator: "; ")
            if headers["X-CSRF-Token"] == nil { headers["X-CSRF-Token"] = pair.token }
        }
        let body = rawBody ?? Array(form.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&").utf8)
        return app.respond(params: params("POST", uri, headers: headers, bodyLength: body.count, contentType: contentType), body: body)
    }

    func createUser(_ username: String, password: String = "correct-horse-battery") throws {
        _ = try app.store.createUser(username: username, email: "\(username)@example.org", displayName: username.capitalized,
                                     passwordHash: app.passwords.hash(password))
    }

    /// Runs every job that is due now, the way a worker's job thread would.
    func runDueJobs() throws {
        let runner = JobRunner(app: app, threads: 0)
        while try runner.runNext(owner: "tests") {}
    }

    func sessionCookie(_ username: String) throws -> String { try app.sessionCookie(forUsername: username)! }

    /// A page whose socket listens to `topics`, as the bridge reports it when the page connects.
    func listen(_ topics: [String], as username: String? = nil, connection: String = "test-page") throws {
        let userID = try username.map { try app.store.user(username: $0)!.id }
        _ = try app.store.write { db in try Store.applyPresence(db, event: .join(connection: connection, userID: userID, topics: topics)) }
    }

    private func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}

extension Response {
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Compares the whole exchange — status, headers, body — with `__Snapshots__/NAME.txt`, after
/// replacing random tokens and the asset fingerprint. `SNAPSHOT_RECORD=1` rewrites the files.
func assertSnapshot(_ response: Response, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    var text = "\(response.status.rawValue) \(response.status.reasonPhrase)\n"
    for (header, value) in response.headers { text += "\(header): \(value)\n" }
    text += "\n" + response.text
    text = text.replacing(try! Regex("[A-Za-z0-9_-]{43}"), with: "<token>")
        .replacing(try! Regex("v=[A-Za-z0-9_-]{8}\""), with: "v=<asset>\"")
        .replacing(try! Regex("reference [A-Za-z0-9_-]{8}"), with: "reference <request-id>")
        .replacing(try! Regex("/ws/\\?t=[A-Za-z0-9_.-]+"), with: "/ws/?t=<subscription>")
    let directory = repositoryRoot + "/Tests/FCGIAppTests/__Snapshots__"
    let path = directory + "/\(name).txt"
    if ProcessInfo.processInfo.environment["SNAPSHOT_RECORD"] == "1" {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
        Issue.record("No snapshot at \(path); run with SNAPSHOT_RECORD=1 to record it.\n\(text)", sourceLocation: sourceLocation)
        return
    }
    #expect(text == expected, "snapshot \(name) differs", sourceLocation: sourceLocation)
}
