import Foundation
import Platform

/// The bridge's settings: the installation's shared ones (database, secret) plus its own.
public struct BridgeSettings: Sendable {
    /// `HOST:PORT` or a unix socket path for the WebSocket listener.
    public var listen: String
    /// The app's FastCGI socket, for ws-send and presence.
    public var appSocket: String
    public var databasePath: String
    public var secret: [UInt8]
    /// Origins allowed to connect, like `https://gomoku.example.org`; empty means the request's own host.
    public var allowedOrigins: [String]
    /// How long notifications are kept for replay, in seconds.
    public var retention: Int64
    public var maxFrameBytes: Int
    /// ws-send messages per second a connection may sustain, and its burst.
    public var messagesPerSecond: Double
    public var messageBurst: Double
    public var connectionsPerUser: Int
    /// Frames held for a connection while its replay is read, before it counts as a slow consumer.
    public var sendQueue: Int
    /// Paths a ws-send may name.
    public var allowedPathPrefixes: [String]
    /// Serve the echo route used by the WebSocket conformance suite.
    public var testEcho: Bool

    public init(listen: String, appSocket: String, databasePath: String, secret: [UInt8], allowedOrigins: [String] = [],
                retention: Int64 = 900, maxFrameBytes: Int = 65_536, messagesPerSecond: Double = 10, messageBurst: Double = 20,
                connectionsPerUser: Int = 20, sendQueue: Int = 256,
                allowedPathPrefixes: [String] = ["/live/", "/games/", "/lessons/", "/challenges/", "/friends/"], testEcho: Bool = false) {
        self.listen = listen
        self.appSocket = appSocket
        self.databasePath = databasePath
        self.secret = secret
        self.allowedOrigins = allowedOrigins
        self.retention = retention
        self.maxFrameBytes = maxFrameBytes
        self.messagesPerSecond = messagesPerSecond
        self.messageBurst = messageBurst
        self.connectionsPerUser = connectionsPerUser
        self.sendQueue = sendQueue
        self.allowedPathPrefixes = allowedPathPrefixes
        self.testEcho = testEcho
    }
}

/// Allows `burst` messages at once and `rate` per second after that.
struct TokenBucket {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: Double

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
        tokens = burst
        last = Date().timeIntervalSince1970
    }

    mutating func take() -> Bool {
        let now = Date().timeIntervalSince1970
        tokens = min(burst, tokens + (now - last) * rate)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
