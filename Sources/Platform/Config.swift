import Foundation

/// Everything the app needs to know about its installation. Resolved once per process from, in
/// decreasing priority: command-line flags, `GOMOKU_*` environment variables, the config file, defaults.
public struct Config: Sendable, Equatable {
    /// The directory holding `templates/` and `static/` (the checkout, or the installed share directory).
    public var root: String
    /// Writable data: the database and the generated secret.
    public var dataDir: String
    public var databasePath: String
    public var templatesDir: String
    public var secret: [UInt8]
    /// Show error details and the request context on 5xx pages. Never in production.
    public var dev: Bool
    public var logLevel: String
    public var maxBodyBytes: Int
    public var sessionLifetime: Int64
    /// Password hashing cost (PBKDF2-HMAC-SHA256 iterations) for new hashes.
    public var passwordIterations: Int
    /// Background job threads per worker process (0: this process runs no jobs).
    public var jobThreads: Int
    /// Milliseconds a claimed job stays leased without a heartbeat; a dead worker's job is retried after it.
    public var jobLease: Int64
    /// Seconds an API token lives.
    public var apiTokenLifetime: Int64
    /// Longest an API long-poll waits, in seconds (keep it below the web server's read timeout).
    public var longPollMax: Int
    /// Seconds a worker stopping for a reload keeps answering on the connections the web server keeps
    /// open (fastcgi_keep_conn), waiting for it to close them.
    public var drainSeconds: Int

    /// Every key the config file and environment understand, with its environment variable.
    public static let keys: [(key: String, env: String, help: String)] = [
        ("root", "GOMOKU_ROOT", "directory with templates/ and static/"),
        ("data_dir", "GOMOKU_DATA_DIR", "writable directory for the database and secret (default ROOT/var)"),
        ("db", "GOMOKU_DB", "SQLite database path (default DATA_DIR/gomoku.sqlite3)"),
        ("templates", "GOMOKU_TEMPLATES", "templates directory (default ROOT/templates)"),
        ("secret", "GOMOKU_SECRET", "signing secret (default: generated once into DATA_DIR/secret)"),
        ("dev", "GOMOKU_DEV", "show error details on 5xx pages (true/false)"),
        ("log_level", "GOMOKU_LOG_LEVEL", "trace, debug, info, notice, warning, error"),
        ("max_body", "GOMOKU_MAX_BODY", "largest accepted request body in bytes (default 1048576)"),
        ("session_days", "GOMOKU_SESSION_DAYS", "session lifetime in days (default 14)"),
        ("password_iterations", "GOMOKU_PASSWORD_ITERATIONS", "PBKDF2 iterations for new password hashes (minimum and default 600000)"),
        ("job_threads", "GOMOKU_JOB_THREADS", "background job threads per worker process (default 1; 0 = none, run `gomoku-fcgi work`)"),
        ("job_lease", "GOMOKU_JOB_LEASE", "seconds a running job's lease lasts without a heartbeat (default 30)"),
        ("api_token_days", "GOMOKU_API_TOKEN_DAYS", "lifetime of API tokens in days (default 7)"),
        ("long_poll_max", "GOMOKU_LONG_POLL_MAX", "longest wait of an API long-poll in seconds, 0 to 25 (default 25)"),
        ("listen", "GOMOKU_LISTEN", "serve: unix socket path or HOST:PORT"),
        ("socket_mode", "GOMOKU_SOCKET_MODE", "serve: unix socket permissions, octal (default 0660)"),
        ("socket_owner", "GOMOKU_SOCKET_OWNER", "serve: unix socket USER[:GROUP]"),
        ("workers", "GOMOKU_WORKERS", "serve: worker processes (default: number of cores)"),
        ("threads", "GOMOKU_THREADS", "serve: request threads per worker (default 4)"),
        ("max_requests", "GOMOKU_MAX_REQUESTS", "serve: recycle a worker after this many requests (0 = never)"),
        ("drain", "GOMOKU_DRAIN", "serve: seconds a worker replaced by a reload keeps answering on kept connections (default 10)"),
        ("bridge_listen", "GOMOKU_BRIDGE_LISTEN", "bridge: HOST:PORT or unix socket for WebSockets (default 127.0.0.1:8081)"),
        ("app_socket", "GOMOKU_APP_SOCKET", "bridge: the app's FastCGI socket (default DATA_DIR/run/gomoku.sock)"),
        ("allowed_origins", "GOMOKU_ALLOWED_ORIGINS", "bridge: space-separated origins allowed to connect (default: same host)"),
        ("retention", "GOMOKU_RETENTION", "bridge: seconds notifications are kept for replay (default 900)"),
        ("max_frame", "GOMOKU_MAX_FRAME", "bridge: largest accepted WebSocket frame in bytes (default 65536)"),
    ]

    public static let minimumPasswordIterations = 600_000

    /// Raw settings from every source, merged by priority.
    public struct Sources: Sendable {
        public var values: [String: String]
        /// Where the config file was read from, if any.
        public var configFile: String?

        public init(values: [String: String], configFile: String? = nil) {
            self.values = values
            self.configFile = configFile
        }

        /// Merges flags over environment over the config file.
        public static func gather(flags: [String: String], environment: [String: String] = ProcessInfo.processInfo.environment,
                                  configFile explicitFile: String? = nil) throws -> Sources {
            var values: [String: String] = [:]
            let file = explicitFile ?? environment["GOMOKU_CONFIG"]
            var used: String?
            if let file, !file.isEmpty {
                values = try ConfigFile.parse(path: file)
                used = file
            } else if let root = flags["root"] ?? environment["GOMOKU_ROOT"] ?? Config.discoverRoot(),
                      FileManager.default.fileExists(atPath: root + "/gomoku.conf") {
                values = try ConfigFile.parse(path: root + "/gomoku.conf")
                used = root + "/gomoku.conf"
            }
            for (key, env, _) in Config.keys { if let value = environment[env], !value.isEmpty { values[key] = value } }
            for (key, value) in flags { values[key] = value }
            return Sources(values: values, configFile: used)
        }

        public subscript(key: String) -> String? { values[key] }
    }

    /// Turns raw settings into a config, creating the data directory and the secret if needed.
    public static func resolve(_ sources: Sources) throws -> Config {
        let root = absolute(sources["root"] ?? discoverRoot() ?? FileManager.default.currentDirectoryPath)
        let dataDir = absolute(sources["data_dir"] ?? root + "/var")
        let databasePath = absolute(sources["db"] ?? dataDir + "/gomoku.sqlite3")
        let templatesDir = absolute(sources["templates"] ?? root + "/templates")
        guard FileManager.default.fileExists(atPath: templatesDir) else {
            throw ConfigError("templates directory \(templatesDir) not found; set GOMOKU_ROOT or --root")
        }
        let secret: [UInt8]
        if let given = sources["secret"], !given.isEmpty {
            guard given.utf8.count >= 32 else { throw ConfigError("the secret must be at least 32 characters") }
            secret = Array(given.utf8)
        } else {
            secret = try SecretFile.loadOrCreate(path: dataDir + "/secret")
        }
        let iterations = try integer(sources["password_iterations"], key: "password_iterations") ?? minimumPasswordIterations
        guard iterations >= minimumPasswordIterations else {
            throw ConfigError("password_iterations must be at least \(minimumPasswordIterations)")
        }
        return Config(
            root: root, dataDir: dataDir, databasePath: databasePath, templatesDir: templatesDir, secret: secret,
            dev: try boolean(sources["dev"], key: "dev") ?? false,
            logLevel: sources["log_level"] ?? "info",
            maxBodyBytes: try integer(sources["max_body"], key: "max_body") ?? 1_048_576,
            sessionLifetime: Int64(try integer(sources["session_days"], key: "session_days") ?? 14) * 86_400,
            passwordIterations: iterations,
            jobThreads: try integer(sources["job_threads"], key: "job_threads") ?? 1,
            jobLease: Int64(max(1, try integer(sources["job_lease"], key: "job_lease") ?? 30)) * 1000,
            apiTokenLifetime: Int64(max(1, try integer(sources["api_token_days"], key: "api_token_days") ?? 7)) * 86_400,
            longPollMax: min(25, try integer(sources["long_poll_max"], key: "long_poll_max") ?? 25),
            drainSeconds: max(0, try integer(sources["drain"], key: "drain") ?? 10))
    }

    /// The checkout or install root: the working directory if it has `templates/`, else the nearest
    /// ancestor of the executable that has one (`.build/release/gomoku-fcgi` → the checkout).
    public static func discoverRoot() -> String? {
        let fm = FileManager.default
        if fm.fileExists(atPath: fm.currentDirectoryPath + "/templates/layout.mustache") { return fm.currentDirectoryPath }
        var dir = (executablePath() as NSString).deletingLastPathComponent
        while dir != "/" && !dir.isEmpty {
            if fm.fileExists(atPath: dir + "/templates/layout.mustache") { return dir }
            for share in ["/share/gomoku"] where fm.fileExists(atPath: dir + share + "/templates/layout.mustache") { return dir + share }
            dir = (dir as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// This program's file. After an upgrade replaced it, the kernel reports the old inode as
    /// "PATH (deleted)": the path then names the new binary, which is what new workers should run.
    public static func executablePath() -> String {
        guard var path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return CommandLine.arguments[0] }
        if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        return path
    }

    public static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return (expanded as NSString).standardizingPath }
        return ((FileManager.default.currentDirectoryPath + "/" + expanded) as NSString).standardizingPath
    }

    public static func integer(_ value: String?, key: String) throws -> Int? {
        guard let value else { return nil }
        guard let number = Int(value.trimmingCharacters(in: .whitespaces)), number >= 0 else {
            throw ConfigError("\(key) must be a whole number, got \"\(value)\"")
        }
        return number
    }

    public static func boolean(_ value: String?, key: String) throws -> Bool? {
        guard let value else { return nil }
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "": return false
        default: throw ConfigError("\(key) must be true or false, got \"\(value)\"")
        }
    }
}

public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `key = value` lines; `#` starts a comment. Unknown keys are errors, so typos do not pass silently.
public enum ConfigFile {
    public static func parse(path: String) throws -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError("cannot read config file \(path)")
        }
        let known = Set(Config.keys.map(\.key))
        var values: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ConfigError("\(path):\(number + 1): expected key = value") }
            let key = parts[0].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "-", with: "_")
            guard known.contains(key) else { throw ConfigError("\(path):\(number + 1): unknown setting \"\(key)\"") }
            var value = parts[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            values[key] = value
        }
        return values
    }
}

/// The signing secret generated once per installation, readable only by its owner.
enum SecretFile {
    static func loadOrCreate(path: String) throws -> [UInt8] {
        let fm = FileManager.default
        try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if let existing = read(path) { return existing }
        // O_EXCL: when several workers start at once, exactly one writes and the others read its secret.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd >= 0 {
            let hex = Random.bytes(32).map { String(format: "%02x", $0) }.joined() + "\n"
            let written = hex.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
            close(fd)
            guard written == hex.utf8.count else { throw ConfigError("could not write the secret to \(path)") }
        }
        for _ in 0..<50 {
            if let secret = read(path) { return secret }
            usleep(20_000)
        }
        throw ConfigError("could not read the secret from \(path)")
    }

    /// The file's bytes without surrounding ASCII whitespace (byte by byte: this runs in every cold CGI
    /// process, where Foundation's Unicode-wide trimming cost a seventh of the app's own start-up).
    private static func read(_ path: String) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return nil }
        let trimmed = Array(bytes[first...last])
        return trimmed.count >= 32 ? trimmed : nil
    }
}
