import Platform
import ArgumentParser
import Domain
import FCGIApp
import Foundation
import Store

struct RequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Run one request through the whole handler stack in-process and print the raw HTTP response.",
        discussion: """
            Sessions, CSRF, routing and rendering run exactly as behind a web server. For unsafe methods a
            matching CSRF cookie and token are added unless --no-csrf is given.

            Examples:
              gomoku-fcgi request GET /accounts/login/
              gomoku-fcgi request GET / --as alice
              gomoku-fcgi request POST /accounts/login/ --form username=alice --form password='…'
              gomoku-fcgi request POST /accounts/register/validate/ -H 'HX-Request: true' -H 'HX-Trigger-Name: username' --form username=al
            """)

    @OptionGroup var flags: ConfigFlags
    @Argument(help: "HTTP method.") var method: String
    @Argument(help: "Path with optional query, e.g. /games/?status=active.") var path: String
    @Option(name: .customShort("H"), help: "A header, 'Name: value' (repeatable).") var header: [String] = []
    @Option(help: "A form field k=v, sent urlencoded (repeatable).") var form: [String] = []
    @Option(help: "A raw request body (set Content-Type with -H).") var data: String?
    @Option(name: .customLong("as"), help: "Sign the request in as this user.") var asUser: String?
    @Flag(name: .customLong("no-csrf"), help: "Do not add a CSRF cookie and token.") var noCSRF = false
    @Option(help: "Answer the request this many times and report the time per answer on stderr (profiling).")
    var `repeat`: Int = 1

    func run() throws {
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
        // As a FastCGI request thread answers (its own read connection), so --repeat times what a worker does.
        let app = try Bootstrap.app(flags: flags.values, configFile: flags.config).forRequestThread()
        var params = Self.baseParams(method: method, path: path)
        var cookies: [String] = []
        for line in header {
            guard let colon = line.firstIndex(of: ":") else { throw ValidationError("a header is 'Name: value', got \(line)") }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name.lowercased() == "content-type" { params["CONTENT_TYPE"] = value; continue }
            if name.lowercased() == "cookie" { cookies.append(value); continue }
            params["HTTP_" + name.uppercased().replacingOccurrences(of: "-", with: "_")] = value
        }
        if let asUser {
            guard let cookie = try app.sessionCookie(forUsername: asUser) else { throw ValidationError("no user named \(asUser)") }
            cookies.append(cookie)
        }
        var body: [UInt8] = []
        if let data {
            body = Array(data.utf8)
        } else if !form.isEmpty {
            body = Array(form.map { pair -> String in
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return kv.map { String($0).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }.joined(separator: "=")
            }.joined(separator: "&").utf8)
            params["CONTENT_TYPE"] = params["CONTENT_TYPE"] ?? "application/x-www-form-urlencoded"
        }
        if !noCSRF, ["POST", "PUT", "PATCH", "DELETE"].contains(method.uppercased()), params["HTTP_X_CSRF_TOKEN"] == nil {
            let pair = app.csrfPair()
            cookies.append(pair.cookie)
            params["HTTP_X_CSRF_TOKEN"] = pair.token
        }
        if !cookies.isEmpty { params["HTTP_COOKIE"] = cookies.joined(separator: "; ") }
        if !body.isEmpty { params["CONTENT_LENGTH"] = String(body.count) }
        let response = app.store.holdingOwnReader {
            var response = app.respond(params: params, body: body)
            if `repeat` > 1 {
                let started = DispatchTime.now().uptimeNanoseconds
                for _ in 1..<`repeat` { response = app.respond(params: params, body: body) }
                let micros = Double(DispatchTime.now().uptimeNanoseconds - started) / 1000 / Double(`repeat` - 1)
                FileHandle.standardError.write(Data(String(format: "%ld answers, %.1f µs each\n", `repeat` - 1, micros).utf8))
            }
            return response
        }
        FileHandle.standardOutput.write(Data(response.httpText().utf8))
    }
}

extension RequestCommand {
    /// The CGI parameters a web server sends for `method path` from localhost.
    static func baseParams(method: String, path: String) -> [String: String] {
        let parts = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return [
            "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": method.uppercased(), "REQUEST_URI": path,
            "QUERY_STRING": parts.count > 1 ? String(parts[1]) : "", "SCRIPT_NAME": "", "SERVER_NAME": "localhost",
            "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost",
        ]
    }
}

struct CreateUser: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "createuser", abstract: "Create an account.")
    @OptionGroup var flags: ConfigFlags
    @Argument var username: String
    @Option var email: String?
    @Option(name: .customLong("display-name")) var displayName: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from the first line of standard input.") var passwordStdin = false

    func run() throws {
        let app = try Bootstrap.app(flags: flags.values, configFile: flags.config)
        let password: String
        if passwordStdin {
            guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password on standard input") }
            password = line
        } else {
            guard let first = getpass("Password: ").map({ String(cString: $0) }),
                  let second = getpass("Password (again): ").map({ String(cString: $0) }), first == second else {
                throw ValidationError("the passwords do not match")
            }
            password = first
        }
        let form = RegistrationForm(username: username, email: email ?? "\(username)@localhost.localdomain",
                                    displayName: displayName ?? username, password: password)
        if let error = form.errors().values.first { throw ValidationError(error.message) }
        switch try app.store.createUser(username: form.username, email: form.email, displayName: form.displayName,
                                        passwordHash: PasswordHasher(iterations: app.config.passwordIterations).hash(password)) {
        case .success(let user): print("created user \(user.username) (id \(user.id))")
        case .failure(.usernameTaken): throw ValidationError("the username \(form.username) is taken")
        case .failure(.emailTaken): throw ValidationError("the email \(form.email) is already used")
        }
    }
}

struct SeedDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-demo",
        abstract: "Replace demo data with N users (player1…) paired into M fresh 15×15 freestyle games.")
    @OptionGroup var flags: ConfigFlags
    @Option var users: Int = 10
    @Option var games: Int = 5
    @Option(help: "Password for every demo user (default: random).") var password: String?
    @Flag(help: "Print {\"users\":[{username,password}],\"games\":[{id,black,white}]}.") var json = false

    func run() throws {
        guard users >= 0, games >= 0, users <= 100_000 else { throw ValidationError("--users must be 0…100000 and --games at least 0") }
        guard games * 2 <= users else { throw ValidationError("\(games) games need at least \(games * 2) users") }
        let app = try Bootstrap.app(flags: flags.values, configFile: flags.config)
        let secret = password ?? "demo-" + UUID().uuidString.prefix(13).lowercased()
        // One hash for all demo users keeps seeding fast; every login still pays the full cost.
        let hash = PasswordHasher(iterations: app.config.passwordIterations).hash(secret)
        let seeded = try app.store.seedDemo(users: users, games: games, password: secret, passwordHash: hash)
        if json {
            let object: [String: Any] = [
                "users": seeded.users.map { ["username": $0.username, "password": $0.password] },
                "games": seeded.games.map { ["id": $0.id, "black": $0.black, "white": $0.white] },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            print("\(seeded.users.count) users (password: \(secret)), \(seeded.games.count) games")
        }
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config",
                                                    abstract: "Show the settings in effect and check that the installation works.")
    @OptionGroup var flags: ConfigFlags

    func run() throws {
        let sources = try Bootstrap.sources(flags: flags.values, configFile: flags.config)
        let config = try Config.resolve(sources)
        print("config file:   \(sources.configFile ?? "(none)")")
        print("root:          \(config.root)")
        print("data dir:      \(config.dataDir)")
        print("database:      \(config.databasePath)")
        print("templates:     \(config.templatesDir)")
        print("secret:        \(sources["secret"] != nil ? "from settings" : "from \(config.dataDir)/secret") (\(config.secret.count) bytes)")
        print("dev mode:      \(config.dev)")
        var problems: [String] = []
        do {
            let app = try App(config: config, store: Store(path: config.databasePath, migrate: false))
            let lessons = try app.preloadContent()
            print("templates:     parsed")
            print("lessons:       \(lessons) (content/school)")
            print("migrations:    \(try app.store.isMigrated() ? "up to date" : "pending (run gomoku-fcgi migrate)")")
        } catch {
            problems.append("\(error)")
        }
        for asset in ["static/css/site.css", "static/vendor/htmx.min.js", "static/vendor/ext/ws.min.js",
                      "static/vendor/katex/katex.min.js", "static/api/openapi.json"]
        where !FileManager.default.fileExists(atPath: config.root + "/" + asset) {
            problems.append("missing \(config.root)/\(asset) (run make setup)")
        }
        if problems.isEmpty { print("status:        ok") } else {
            for problem in problems { print("problem:       \(problem)") }
            throw ExitCode(1)
        }
    }
}

struct BenchEngine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-engine",
        abstract: "Time the VCF/VCT solvers on the fixed benchmark positions and puzzle generation; prints JSON (for make bench).")
    @Option(help: "Repetitions per position (the fastest counts).") var repetitions = 5
    @Option(name: .customLong("puzzles"), help: "Puzzles to generate per kind for the generation timing.") var puzzles = 5

    func run() throws {
        let results = EngineBenchmark.run(repetitions: max(1, repetitions))
        var generation: [[String: Any]] = []
        let clock = ContinuousClock()
        for kind in PuzzleKind.allCases {
            let ruleset: Ruleset = kind == .forbidden ? .renju : .freestyle
            var found = 0
            let elapsed = clock.measure {
                found = PuzzleGenerator.generate(PuzzleRequest(kind: kind, ruleset: ruleset, count: max(1, puzzles), seed: 20261122)).count
            }
            generation.append(["kind": kind.rawValue, "ruleset": ruleset.rawValue, "found": found, "ms": elapsed.milliseconds])
        }
        let object: [String: Any] = [
            "positions": results.map { result -> [String: Any] in
                ["name": result.name, "outcome": result.outcome.rawValue, "attacker_moves": result.attackerMoves,
                 "first_move": result.firstMove ?? "", "nodes": result.nodes, "ms": result.elapsed.milliseconds,
                 "nodes_per_s": Int(result.nodesPerSecond), "as_expected": result.matchesExpectation]
            },
            "generation": generation,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
        if results.contains(where: { !$0.matchesExpectation }) { throw ExitCode(1) }
    }
}

struct BenchMoves: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-moves",
        abstract: "Play a fresh game's moves through the whole handler stack in-process and report the time per move (profiling).",
        discussion: """
            Each move is the request a browser sends (htmx, session cookie, CSRF), on cells that never make
            five, alternating between the two players; every move commits and publishes as in production.
            Use a scratch data directory:
              gomoku-fcgi seed-demo --users 2 --games 1 --json   # game 1: player1 (black) vs player2
              gomoku-fcgi bench-moves --game 1 --black player1 --white player2 --moves 120
            """)

    @OptionGroup var flags: ConfigFlags
    @Option(help: "The game to play in; it must have no moves yet.") var game: Int64
    @Option(help: "Black's username.") var black: String
    @Option(help: "White's username.") var white: String
    @Option(help: "Moves to play (at most 224 on a 15×15 board).") var moves = 120

    func run() throws {
        guard (1...224).contains(moves) else { throw ValidationError("--moves must be 1…224") }
        let app = try Bootstrap.app(flags: flags.values, configFile: flags.config)
        let path = "/games/\(game)/move/"
        var players: [[String: String]] = []
        for username in [black, white] {
            guard let session = try app.sessionCookie(forUsername: username) else { throw ValidationError("no user named \(username)") }
            let csrf = app.csrfPair()
            players.append(RequestCommand.baseParams(method: "POST", path: path).merging([
                "HTTP_COOKIE": session + "; " + csrf.cookie, "HTTP_X_CSRF_TOKEN": csrf.token, "HTTP_HX_REQUEST": "true",
                "CONTENT_TYPE": "application/x-www-form-urlencoded",
            ]) { $1 })
        }
        let clock = ContinuousClock()
        var elapsed = Duration.zero
        for (index, cell) in Self.cellsWithoutFive(size: 15).prefix(moves).enumerated() {
            let body = Array("row=\(cell.row)&col=\(cell.col)&move=\(index + 1)".utf8)
            var params = players[index % 2]
            params["CONTENT_LENGTH"] = String(body.count)
            var response: Response?
            elapsed += clock.measure { response = app.respond(params: params, body: body) }
            guard let response, response.status == .ok else {
                FileHandle.standardOutput.write(Data((response?.httpText() ?? "").utf8))
                throw ValidationError("move \(index + 1) was refused (is game \(game) new, black \(black), white \(white)?)")
            }
        }
        print(String(format: "%ld moves, %.1f µs each", moves, elapsed.milliseconds * 1000 / Double(moves)))
    }

    /// Black on the cells where (col + 2·row) mod 4 < 2, White on the others, in reading order: no
    /// line of either colour is longer than two, so the game never ends.
    static func cellsWithoutFive(size: Int) -> [Point] {
        let cells = (0..<size).flatMap { row in (0..<size).map { Point(row: row, col: $0) } }
        let first = cells.filter { ($0.col + 2 * $0.row) % 4 < 2 }, second = cells.filter { ($0.col + 2 * $0.row) % 4 >= 2 }
        let (blacks, whites) = first.count >= second.count ? (first, second) : (second, first)
        return blacks.indices.flatMap { i in i < whites.count ? [blacks[i], whites[i]] : [blacks[i]] }
    }
}

extension Duration {
    /// For the timings the developer commands print.
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
