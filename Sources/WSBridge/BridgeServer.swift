import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Platform
import Store

/// The WebSocket bridge, on SwiftNIO directly: it checks a page's subscription token and Origin
/// before upgrading (a refusal is a 403 that says why), pushes the notifications of the token's
/// topics (replaying what a reconnecting page missed), turns ws-send frames into FastCGI requests
/// to the app, and tells the app who joined and left.
public final class BridgeServer: @unchecked Sendable {
    /// Current settings; SIGHUP replaces them (new connections and messages use the new ones).
    var settings: BridgeSettings { settingsLock.withLock { currentSettings } }
    private let settingsLock = NSLock()
    private var currentSettings: BridgeSettings
    private let reloadSettings: (@Sendable () throws -> BridgeSettings)?
    let store: Store
    let hub: Hub
    let metrics = Metrics()
    let app: FastCGIClient
    let threadPool = NIOThreadPool.singleton
    let logger = Logger(label: "gomoku.bridge")

    /// - Parameter reload: reads the settings again on SIGHUP (nil: SIGHUP is ignored).
    public init(settings: BridgeSettings, reload: (@Sendable () throws -> BridgeSettings)? = nil) throws {
        currentSettings = settings
        reloadSettings = reload
        // The bridge only writes when it trims old notifications, from the thread that pushes: it leaves
        // checkpoints to the app (the `serve` master, or SQLite in the app's commits without one), so a
        // trim never copies the log into the database file while pushes wait.
        store = try Store(path: settings.databasePath, checkpoints: .inBackground)
        hub = Hub(limits: .init(connectionsPerUser: settings.connectionsPerUser), metrics: metrics)
        app = FastCGIClient(address: settings.appSocket)
    }

    /// Serves until SIGTERM/SIGINT; then every connection is closed with 1012, so pages reconnect
    /// to the next bridge and are replayed from their last id.
    public func run() throws {
        let tail = NotificationTail(store: store, hub: hub) { [self] in settings.retention }
        try tail.start()
        // Presence starts empty, before any connection can join (a join must not be wiped by a late reset).
        _ = try? notifyApp(path: "/internal/presence/", form: [("event", "reset")], connection: "", user: "").wait()
        let group = MultiThreadedEventLoopGroup.singleton
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 * 1024, high: 1024 * 1024))
            .childChannelInitializer { [self] channel in configure(channel) }
        let channel: any Channel
        if settings.listen.hasPrefix("/") {
            unlink(settings.listen)
            channel = try bootstrap.bind(unixDomainSocketPath: settings.listen).wait()
            chmod(settings.listen, 0o666)
        } else {
            let parts = settings.listen.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]) else { throw BridgeError("listen must be HOST:PORT or a socket path") }
            channel = try bootstrap.bind(host: String(parts[0]), port: port).wait()
        }
        logger.notice("bridge ready", metadata: ["listen": "\(settings.listen)", "app": "\(settings.appSocket)"])
        let stop = DispatchSemaphore(value: 0)
        var signals = [SIGTERM, SIGINT].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            return source
        }
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler { [self] in reload() }
        hangup.resume()
        signals.append(hangup)
        stop.wait()
        logger.notice("stopping: closing connections with 1012")
        try? channel.close().wait()
        hub.closeAll(code: 1012, reason: "restarting")
        // Let the close frames go out before the process ends.
        let deadline = Date().addingTimeInterval(2)
        while hub.connectionCount > 0 && Date() < deadline { usleep(20_000) }
        tail.stop()
        signals.forEach { $0.cancel() }
    }

    /// SIGHUP: reads the settings again. The listener, database and app socket stay as they are.
    private func reload() {
        guard let reloadSettings else { return }
        do {
            var fresh = try reloadSettings()
            let old = settings
            if fresh.listen != old.listen || fresh.databasePath != old.databasePath || fresh.appSocket != old.appSocket {
                logger.warning("listen, database and app socket changes need a restart; keeping the current ones")
                fresh.listen = old.listen
                fresh.databasePath = old.databasePath
                fresh.appSocket = old.appSocket
            }
            settingsLock.withLock { currentSettings = fresh }
            hub.updateLimits(.init(connectionsPerUser: fresh.connectionsPerUser))
            logger.notice("settings reloaded", metadata: ["allowed_origins": "\(fresh.allowedOrigins)", "retention": "\(fresh.retention)"])
        } catch {
            logger.error("reload refused: settings are invalid; keeping the current ones", metadata: ["error": "\(error)"])
        }
    }

    private func configure(_ channel: any Channel) -> EventLoopFuture<Void> {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: settings.testEcho ? 16 << 20 : settings.maxFrameBytes,
            // A frame the decoder refuses is answered by the session (`WebSocketSession.errorCaught`).
            automaticErrorHandling: false,
            shouldUpgrade: { [self] channel, head in
                guard (try? authorize(head)) != nil else { return channel.eventLoop.makeSucceededFuture(nil) }
                var headers = HTTPHeaders()
                if let (_, response) = PerMessageDeflate.negotiate(head.headers.first(name: "sec-websocket-extensions")) {
                    headers.add(name: "Sec-WebSocket-Extensions", value: response)
                }
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { [self] channel, head in
                channel.eventLoop.makeCompletedFuture {
                    let deflate = PerMessageDeflate.negotiate(head.headers.first(name: "sec-websocket-extensions"))?.0
                    let session: WebSocketSession
                    if isEcho(head) {
                        session = EchoSession(deflate: deflate, limits: .init(maxMessageBytes: 16 << 20, maxFragments: 1 << 20))
                    } else {
                        session = LiveSession(server: self, claims: try authorize(head), handshake: Handshake(head: head), deflate: deflate)
                    }
                    try channel.pipeline.syncOperations.addHandler(session)
                }
            })
        let http = HTTPRequestHandler(server: self)
        return channel.pipeline.configureHTTPServerPipeline(
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                context.pipeline.removeHandler(http, promise: nil)
            })
        ).flatMapThrowing {
            try channel.pipeline.syncOperations.addHandler(http)
        }
    }

    // MARK: Authorization

    struct Claims: Sendable {
        let token: SubscriptionToken
        let last: Int64?
    }

    struct Refusal: Error, CustomStringConvertible {
        let status: HTTPResponseStatus
        let description: String
    }

    /// Everything checked before the upgrade: path, token signature and expiry, Origin, replay cursor.
    func authorize(_ head: HTTPRequestHead) throws(Refusal) -> Claims {
        let parts = head.uri.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? ""
        if isEcho(head) { return Claims(token: SubscriptionToken(userID: nil, topics: [], expires: .max), last: nil) }
        guard path == "/ws/" || path == "/ws" else { throw Refusal(status: .notFound, description: "There is no WebSocket endpoint here.") }
        var query: [String: String] = [:]
        for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { query[String(kv[0])] = String(kv[1]).removingPercentEncoding }
        }
        guard let raw = query["t"] else { throw Refusal(status: .forbidden, description: "A subscription token is required.") }
        let token: SubscriptionToken
        do { token = try SubscriptionToken.verify(raw, secret: settings.secret) } catch {
            throw Refusal(status: .forbidden, description: error == .expired
                ? "The subscription has expired; reload the page." : "The subscription token is not valid.")
        }
        guard originAllowed(head) else { throw Refusal(status: .forbidden, description: "Connections from this origin are not allowed.") }
        var last: Int64?
        if let text = query["last"] {
            guard let value = Int64(text), value >= 0 else { throw Refusal(status: .badRequest, description: "last must be a notification id.") }
            last = value
        }
        return Claims(token: token, last: last)
    }

    /// With `--test-echo`, every path but /ws/ is the conformance suite's echo endpoint.
    private func isEcho(_ head: HTTPRequestHead) -> Bool {
        guard settings.testEcho else { return false }
        let path = head.uri.split(separator: "?").first.map(String.init) ?? ""
        return path != "/ws/" && path != "/ws"
    }

    private func originAllowed(_ head: HTTPRequestHead) -> Bool {
        guard let origin = head.headers.first(name: "origin") else { return false }
        if !settings.allowedOrigins.isEmpty { return settings.allowedOrigins.contains(origin) }
        guard let host = head.headers.first(name: "host") else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    // MARK: ws-send → FastCGI

    /// What the app needs from the WebSocket handshake to treat a ws-send like a request from that page.
    struct Handshake: Sendable {
        let host: String
        let origin: String
        let cookie: String
        let remoteAddress: String
        let https: Bool

        init(head: HTTPRequestHead) {
            host = head.headers.first(name: "host") ?? ""
            origin = head.headers.first(name: "origin") ?? ""
            cookie = head.headers[canonicalForm: "cookie"].joined(separator: "; ")
            let forwarded = head.headers.first(name: "x-forwarded-for") ?? ""
            remoteAddress = forwarded.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "127.0.0.1"
            https = head.headers.first(name: "x-forwarded-proto") == "https"
        }
    }

    /// Turns one htmx ws-send frame (form values + `HEADERS`) into a POST to the path in `ws_path`,
    /// and returns what goes back to the sender.
    func forward(_ text: String, connection: String, user: String, handshake: Handshake) async -> String {
        let message: WSSendMessage
        do { message = try WSSendMessage(json: text, allowedPrefixes: settings.allowedPathPrefixes) } catch let error as WSSendMessage.Invalid {
            return Self.errorFragment(error.description)
        } catch {
            return Self.errorFragment("The message was not understood.")
        }
        var params = message.headerParams
        params["REQUEST_METHOD"] = "POST"
        params["REQUEST_URI"] = message.path
        params["SCRIPT_NAME"] = message.path
        params["QUERY_STRING"] = ""
        params["SERVER_PROTOCOL"] = "HTTP/1.1"
        params["GATEWAY_INTERFACE"] = "CGI/1.1"
        params["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        params["CONTENT_LENGTH"] = String(message.body.count)
        params["HTTP_HOST"] = handshake.host
        if !handshake.origin.isEmpty { params["HTTP_ORIGIN"] = handshake.origin }
        if !handshake.cookie.isEmpty { params["HTTP_COOKIE"] = handshake.cookie }
        params["REMOTE_ADDR"] = handshake.remoteAddress
        if handshake.https { params["HTTPS"] = "on" }
        guard let response = try? await callApp(params: params, body: message.body, connection: connection, user: user).get() else {
            return Self.errorFragment("The server could not be reached. Try again in a moment.")
        }
        return String(decoding: response.body, as: UTF8.self)
    }

    /// Sends a request signed as the bridge's to the app, on the thread pool.
    func callApp(params: [String: String], body: [UInt8], connection: String, user: String) -> EventLoopFuture<FastCGIClient.Response> {
        var params = params
        let path = params["REQUEST_URI"] ?? ""
        params["GOMOKU_BRIDGE"] = "1"
        params["GOMOKU_BRIDGE_CONNECTION"] = connection
        params["GOMOKU_BRIDGE_USER"] = user
        params["GOMOKU_BRIDGE_SIGNATURE"] = BridgeSignature.sign(connection: connection, user: user, path: path, secret: settings.secret)
        metrics.count(.appRequests)
        let signed = params
        let future = threadPool.runIfActive(eventLoop: MultiThreadedEventLoopGroup.singleton.any()) { [app] in
            try app.send(params: signed, body: body)
        }
        future.whenFailure { [metrics, logger] error in
            metrics.count(.appErrors)
            logger.warning("app request failed", metadata: ["path": "\(path)", "error": "\(error)"])
        }
        return future
    }

    /// Tells the app about a presence change (the app publishes the presence partial); callers on
    /// event loops do not wait for the answer.
    @discardableResult
    func notifyApp(path: String, form: [(String, String)], connection: String, user: String) -> EventLoopFuture<FastCGIClient.Response> {
        let pairs = form + [("connection", connection), ("user", user)]
        let body = Array(pairs.map { "\(WSSendMessage.formEncode($0.0))=\(WSSendMessage.formEncode($0.1))" }.joined(separator: "&").utf8)
        let params = [
            "REQUEST_METHOD": "POST", "REQUEST_URI": path, "SCRIPT_NAME": path, "QUERY_STRING": "", "HTTP_HOST": "bridge",
            "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": String(body.count), "REMOTE_ADDR": "127.0.0.1",
        ]
        let future = callApp(params: params, body: body, connection: connection, user: user)
        future.whenSuccess { [logger] response in
            if response.status >= 400 { logger.warning("presence update refused", metadata: ["status": "\(response.status)"]) }
        }
        return future
    }

    /// Tells a page that part of what it missed is gone: live.js reloads the page's main region.
    static func gapFrame(upTo id: Int64) -> String {
        "<!--n:\(id)-->" + Outbox.liveReload(gap: id)
    }

    /// An error shown in the page's message area (the bridge renders no templates; this is its only markup).
    static func errorFragment(_ message: String) -> String {
        let escaped = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        return "<div id=\"messages\" hx-swap-oob=\"innerHTML\"><div class=\"alert alert-error\" role=\"alert\">\(escaped)</div></div>"
    }
}

struct BridgeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Plain HTTP on the bridge: `/healthz`, `/metrics`, and the answer to a refused upgrade.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: BridgeServer
    private var head: HTTPRequestHead?

    init(server: BridgeServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let (status, body) = answer(head)
            var headers = HTTPHeaders([("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", String(body.utf8.count))])
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            let keepAlive = head.isKeepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
                if !keepAlive { channel.close(promise: nil) }
            }
        }
    }

    private func answer(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String) {
        let path = head.uri.split(separator: "?").first.map(String.init) ?? ""
        switch path {
        case "/healthz": return (.ok, "ok\n")
        case "/metrics": return (.ok, server.metrics.prometheusText())
        case "/ws/", "/ws":
            server.metrics.count(.refusedConnections)
            do {
                _ = try server.authorize(head)
                return (.badRequest, "This address only accepts WebSocket connections.\n")
            } catch {
                return (error.status, error.description + "\n")
            }
        default: return (.notFound, "Not found.\n")
        }
    }
}
