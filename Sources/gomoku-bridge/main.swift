import ArgumentParser
import WSBridge

struct GomokuBridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gomoku-bridge",
        abstract: "The WebSocket bridge between the notification table and browsers (not built yet: see the realtime issue).")

    @Option(help: "Address to listen on.") var listen = Bridge.defaultListenAddress

    func run() throws {
        print("gomoku-bridge: the WebSocket bridge is not built yet; nothing to serve on \(listen).")
        throw ExitCode(2)
    }
}

GomokuBridge.main()
