import ArgumentParser
import Foundation
import Platform
import WSBridge

@main
struct GomokuBridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gomoku-bridge",
        abstract: "Pushes the app's notifications to browsers over WebSockets and carries ws-send messages to the app.",
        discussion: "Shares the app's settings (flags, GOMOKU_* environment, config file): database, secret, data directory.")

    @Option(help: "Config file of `key = value` lines.") var config: String?
    @Option(help: "Directory with templates/ and static/.") var root: String?
    @Option(name: .customLong("data-dir")) var dataDir: String?
    @Option var db: String?
    @Option(help: "WebSocket listener: HOST:PORT or a unix socket path.") var listen: String?
    @Option(name: .customLong("app-socket"), help: "The app's FastCGI socket (default DATA_DIR/run/gomoku.sock).") var appSocket: String?
    @Option(name: .customLong("allowed-origin"), help: "An origin allowed to connect (repeatable; default: the request's host).") var allowedOrigin: [String] = []
    @Option(help: "Seconds notifications are kept for replay.") var retention: Int64?
    @Option(name: .customLong("max-frame"), help: "Largest accepted frame in bytes.") var maxFrame: Int?
    @Option(name: .customLong("log-level")) var logLevel: String?
    @Flag(name: .customLong("test-echo"), help: "Serve an /echo route for the WebSocket conformance suite (tests only).") var testEcho = false

    func run() throws {
        // Every WebSocket is a file descriptor: take all the system allows.
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        var flags: [String: String] = [:]
        flags["root"] = root
        flags["data_dir"] = dataDir
        flags["db"] = db
        flags["log_level"] = logLevel
        flags["bridge_listen"] = listen
        flags["app_socket"] = appSocket
        flags["retention"] = retention.map(String.init)
        flags["max_frame"] = maxFrame.map(String.init)
        if !allowedOrigin.isEmpty { flags["allowed_origins"] = allowedOrigin.joined(separator: " ") }
        let flagValues = flags
        let configFile = config
        let echo = testEcho
        let settings = try Self.settings(flags: flagValues, configFile: configFile, testEcho: echo)
        // SIGHUP reads the config file and environment again.
        try BridgeServer(settings: settings) { try Self.settings(flags: flagValues, configFile: configFile, testEcho: echo) }.run()
    }

    static func settings(flags: [String: String], configFile: String?, testEcho: Bool) throws -> BridgeSettings {
        let sources = try Config.Sources.gather(flags: flags, configFile: configFile)
        let shared = try Config.resolve(sources)
        LogfmtHandler.bootstrapOnce(level: shared.logLevel)
        return BridgeSettings(
            listen: sources["bridge_listen"] ?? "127.0.0.1:8081",
            appSocket: sources["app_socket"] ?? shared.dataDir + "/run/gomoku.sock",
            databasePath: shared.databasePath, secret: shared.secret,
            allowedOrigins: (sources["allowed_origins"] ?? "").split(separator: " ").map(String.init),
            retention: try Config.integer(sources["retention"], key: "retention").map(Int64.init) ?? 900,
            maxFrameBytes: try Config.integer(sources["max_frame"], key: "max_frame") ?? 65_536,
            testEcho: testEcho)
    }
}
