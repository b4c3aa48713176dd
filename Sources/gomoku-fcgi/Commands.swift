import Platform
import ArgumentParser
import CFastCGI
import Domain
import FCGIApp
import Foundation
import Store

struct GomokuFCGI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gomoku-fcgi",
        abstract: "The Gomoku site as a FastCGI/CGI application.",
        discussion: """
            Started with no arguments by a web server, it serves the FastCGI socket on fd 0 or answers one CGI request.
            Settings come from flags, then GOMOKU_* environment variables, then the config file (--config,
            GOMOKU_CONFIG or ROOT/gomoku.conf). Run `gomoku-fcgi check-config` to see what is in effect.
            """,
        subcommands: [Serve.self, Worker.self, Work.self, JobsCommand.self, BenchEngine.self, BenchMoves.self, RequestCommand.self, Migrate.self, CreateUser.self, SeedDemo.self, CheckConfig.self],
        defaultSubcommand: Serve.self)
}

/// The settings every subcommand accepts.
struct ConfigFlags: ParsableArguments {
    @Option(help: "Config file of `key = value` lines.") var config: String?
    @Option(help: "Directory with templates/ and static/.") var root: String?
    @Option(name: .customLong("data-dir"), help: "Writable directory for the database and secret.") var dataDir: String?
    @Option(help: "SQLite database path.") var db: String?
    @Option(help: "Templates directory.") var templates: String?
    @Flag(help: "Show error details and the request on 5xx pages (never in production).") var dev = false
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning or error.") var logLevel: String?

    var values: [String: String] {
        var values: [String: String] = [:]
        values["root"] = root
        values["data_dir"] = dataDir
        values["db"] = db
        values["templates"] = templates
        values["log_level"] = logLevel
        if dev { values["dev"] = "true" }
        return values
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the FastCGI master and its worker processes (the default).")

    @OptionGroup var flags: ConfigFlags
    @Option(help: "Unix socket path or HOST:PORT (default: DATA_DIR/run/gomoku.sock); a socket passed by systemd takes precedence.") var listen: String?
    @Option(name: .customLong("socket-mode"), help: "Permissions of the unix socket, octal.") var socketMode: String?
    @Option(name: .customLong("socket-owner"), help: "Owner of the unix socket, USER[:GROUP].") var socketOwner: String?
    @Option(help: "Worker processes (default: number of cores).") var workers: Int?
    @Option(help: "Accept loops (threads) per worker.") var threads: Int?
    @Option(name: .customLong("max-requests"), help: "Recycle a worker after this many requests; 0 = never.") var maxRequests: Int?

    func run() throws {
        var values = flags.values
        values["listen"] = listen
        values["socket_mode"] = socketMode
        values["socket_owner"] = socketOwner
        values["workers"] = workers.map(String.init)
        values["threads"] = threads.map(String.init)
        values["max_requests"] = maxRequests.map(String.init)
        let flagValues = values
        let sources = try Bootstrap.sources(flags: flagValues, configFile: flags.config)
        let config = try Config.resolve(sources)
        LogfmtHandler.bootstrapOnce(level: config.logLevel)
        // Apply migrations once here, so workers start on a ready schema; the master then checkpoints it.
        let store = try Store(path: config.databasePath)

        let listenFD: Int32
        var socketPath: String?
        if let inherited = ListeningSocket.systemdSocket() {
            // Socket activation wins over --listen: the unit's .socket file owns the address.
            listenFD = inherited
        } else if let address = sources["listen"] {
            guard let mode = mode_t(sources["socket_mode"] ?? "660", radix: 8) else {
                throw ValidationError("--socket-mode must be octal, like 660")
            }
            listenFD = try ListeningSocket.open(.init(address: address, mode: mode, owner: sources["socket_owner"]))
            if !address.contains(":") || address.hasPrefix("/") { socketPath = Config.absolute(address) }
        } else if ListeningSocket.isListening(fd: 0) {
            listenFD = 0
        } else {
            let path = config.dataDir + "/run/gomoku.sock"
            listenFD = try ListeningSocket.open(.init(address: path))
            socketPath = path
        }
        let options = Master.Options(
            workers: Int(sources["workers"] ?? "") ?? ProcessInfo.processInfo.activeProcessorCount,
            threads: Int(sources["threads"] ?? "") ?? 4,
            maxRequests: Int(sources["max_requests"] ?? "") ?? 0)
        guard options.workers >= 1, options.threads >= 1, options.maxRequests >= 0 else {
            throw ValidationError("workers and threads must be at least 1, max-requests at least 0")
        }
        let configFile = flags.config
        let master = Master(listenFD: listenFD, socketPath: socketPath, options: options, store: store) {
            // Workers get the resolved settings as GOMOKU_* variables; a reload re-reads the config file.
            let fresh = try Config.Sources.gather(flags: flagValues, configFile: configFile)
            _ = try Config.resolve(fresh)
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LISTEN_") }
            for (key, env, _) in Config.keys { if let value = fresh[key] { environment[env] = value } }
            environment.removeValue(forKey: "GOMOKU_CONFIG")
            return environment
        }
        throw ExitCode(try master.run())
    }
}

struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One worker process on the socket at fd 0 (started by serve).",
                                                    shouldDisplay: false)
    @Option var threads: Int = 4
    @Option(name: .customLong("max-requests")) var maxRequests: Int = 0
    @Option(name: .customLong("parent-pid")) var parentPID: Int32?

    func run() throws {
        if let parentPID {
            // Die with the master, and do not start at all if it is already gone.
            _ = gomoku_die_with_parent(SIGTERM)
            if getppid() != parentPID { throw ExitCode(1) }
        }
        guard ListeningSocket.isListening(fd: 0) else { throw ValidationError("fd 0 is not a listening socket") }
        // Started by `serve` (a parent pid): the master checkpoints the WAL for us.
        let config = try Bootstrap.config(flags: [:])
        let store = try Store(path: config.databasePath, checkpoints: parentPID == nil ? .onCommit : .inBackground)
        let app = try App(config: config, store: store)
        throw ExitCode(FastCGIWorker(app: app, listenFD: 0, threads: threads, maxRequests: maxRequests).run())
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema.")
    @OptionGroup var flags: ConfigFlags

    func run() throws {
        let config = try Bootstrap.config(flags: flags.values, configFile: flags.config)
        let store = try Store(path: config.databasePath, migrate: false)
        let before = Set(try store.appliedMigrations())
        try store.migrate()
        let applied = try store.appliedMigrations().filter { !before.contains($0) }
        print(applied.isEmpty ? "\(config.databasePath): up to date" : "\(config.databasePath): applied \(applied.joined(separator: ", "))")
    }
}
