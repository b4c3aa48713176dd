import Platform
import FCGIApp
import Foundation
import Store

/// The modes chosen from how we were started, outside argument parsing.
enum Runner {
    static func cgi() -> Int32 {
        do {
            // Foundation builds a dictionary of every variable on each access: once for the settings and
            // the request's meta-variables.
            let environment = ProcessInfo.processInfo.environment
            let config = try Bootstrap.config(flags: [:], environment: environment)
            let app = try App(config: config, store: Store(path: config.databasePath, connections: .single))
            let status = CGI.serve(app: app, environment: environment)
            // A request that changed nothing leaves the log for the next process and syncs nothing
            // (SQLite's files are safe at any exit); see `mayExitWithoutClosing`.
            if (try? app.store.mayExitWithoutClosing()) == true { exit(status) }
            return status
        } catch {
            // Even a broken install answers CGI with a status line, never a bare crash.
            print("Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nThe application is misconfigured; see the server's error log.")
            FileHandle.standardError.write(Data("gomoku-fcgi: \(error)\n".utf8))
            return 1
        }
    }

    static func inheritedSocket() -> Int32 {
        do {
            let app = try Bootstrap.app(flags: [:])
            let threads = Int(ProcessInfo.processInfo.environment["GOMOKU_THREADS"] ?? "") ?? 4
            let maxRequests = Int(ProcessInfo.processInfo.environment["GOMOKU_MAX_REQUESTS"] ?? "") ?? 0
            return FastCGIWorker(app: app, listenFD: 0, threads: threads, maxRequests: maxRequests).run()
        } catch {
            FileHandle.standardError.write(Data("gomoku-fcgi: \(error)\n".utf8))
            return 1
        }
    }
}

/// Config, logging and the app, the same way for every subcommand.
enum Bootstrap {
    static func sources(flags: [String: String], configFile: String? = nil,
                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Config.Sources {
        try Config.Sources.gather(flags: flags, environment: environment, configFile: configFile)
    }

    static func config(flags: [String: String], configFile: String? = nil,
                       environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Config {
        let sources = try sources(flags: flags, configFile: configFile, environment: environment)
        let config = try Config.resolve(sources)
        LogfmtHandler.bootstrapOnce(level: config.logLevel)
        return config
    }

    static func app(flags: [String: String], configFile: String? = nil) throws -> App {
        try App(config: config(flags: flags, configFile: configFile))
    }
}
