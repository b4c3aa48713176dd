import Foundation
import NIOCore
import NIOWebSocket
import Platform
import Store

/// One page's WebSocket: registered with the hub for its token's topics, replayed from the page's
/// last notification id, fed live frames, and carrying ws-send messages to the app.
final class LiveSession: WebSocketSession, FrameSink, @unchecked Sendable {
    let server: BridgeServer
    let claims: BridgeServer.Claims
    let handshake: BridgeServer.Handshake
    let id = Random.token(byteCount: 9)
    private(set) var eventLoop: (any EventLoop)?
    // Event-loop state: frames held while the replay is read, the rate limit.
    private var replaying = true
    private var held: [SharedFrame] = []
    private var bucket: TokenBucket
    private var registered = false

    init(server: BridgeServer, claims: BridgeServer.Claims, handshake: BridgeServer.Handshake, deflate: PerMessageDeflate?) {
        self.server = server
        self.claims = claims
        self.handshake = handshake
        let settings = server.settings
        bucket = TokenBucket(rate: settings.messagesPerSecond, burst: settings.messageBurst)
        super.init(deflate: deflate, limits: .init(maxMessageBytes: settings.maxFrameBytes, maxFragments: 64))
    }

    private var user: String { claims.token.userID.map(String.init) ?? "" }

    override func opened() {
        eventLoop = context?.eventLoop
        let replayUpTo: Int64
        do {
            replayUpTo = try server.hub.register(id: id, userID: claims.token.userID, topics: claims.token.topics, sink: self)
        } catch {
            server.metrics.count(.refusedConnections)
            return error == .tooManyForUser ? close(code: 1008, reason: "too many connections for this user") : close(code: 1013, reason: "overloaded")
        }
        registered = true
        let topics = claims.token.topics
        let userID = claims.token.userID
        // Presence lists signed-in users: an anonymous page changes nobody's list.
        if userID != nil {
            server.notifyApp(path: "/internal/presence/", form: [("event", "join"), ("topics", topics.joined(separator: ","))], connection: id, user: user)
        }
        guard let last = claims.last, let eventLoop else { return finishReplay([]) }
        server.metrics.count(.replays)
        let store = server.store
        let metrics = server.metrics
        server.threadPool.runIfActive(eventLoop: eventLoop) { () -> [SharedFrame] in
            switch try store.replay(after: last, upTo: replayUpTo, topics: topics, userID: userID) {
            case .gap:
                metrics.count(.replayGaps)
                return [SharedFrame(BridgeServer.gapFrame(upTo: replayUpTo))]
            case .notifications(let missed):
                return missed.map { SharedFrame(Hub.frame($0)) }
            }
        }.whenComplete { [self] result in
            switch result {
            case .success(let frames): finishReplay(frames)
            case .failure: close(code: 1011, reason: "replay failed; reconnect")
            }
        }
    }

    /// Sends the replay, then what arrived live meanwhile, then goes live.
    private func finishReplay(_ frames: [SharedFrame]) {
        for frame in frames { send(shared: frame) }
        for frame in held { send(shared: frame) }
        held = []
        replaying = false
    }

    override func closed() {
        guard registered else { return }
        registered = false
        server.hub.unregister(id: id)
        if claims.token.userID != nil {
            server.notifyApp(path: "/internal/presence/", form: [("event", "leave")], connection: id, user: user)
        }
    }

    // MARK: FrameSink (any thread)

    func push(_ frame: SharedFrame) {
        eventLoop?.execute { [self] in deliver(frame) }
    }

    func requestClose(code: UInt16, reason: String) {
        eventLoop?.execute { [self] in close(code: code, reason: reason) }
    }

    @discardableResult
    func deliver(_ frame: SharedFrame) -> Bool {
        guard !isClosing else { return false }
        if replaying {
            held.append(frame)
            if held.count > server.settings.sendQueue { slowConsumer() }
            return false
        }
        // NIO's buffer is past its high-water mark: this client cannot keep up.
        guard isWritable else {
            slowConsumer()
            return false
        }
        return send(shared: frame)
    }

    private func slowConsumer() {
        server.metrics.count(.droppedSlowConsumers)
        close(code: 1013, reason: "too slow; reconnect to catch up")
    }

    // MARK: ws-send

    override func received(text: String) {
        server.metrics.count(.framesIn)
        guard bucket.take() else {
            server.metrics.count(.policyCloses)
            return close(code: 1008, reason: "too many messages")
        }
        guard let eventLoop else { return }
        let promise = eventLoop.makePromise(of: String.self)
        let server = server, id = id, user = user, handshake = handshake
        promise.completeWithTask { await server.forward(text, connection: id, user: user, handshake: handshake) }
        promise.futureResult.whenSuccess { [self] reply in
            if !reply.isEmpty { deliver(SharedFrame(reply)) }
        }
    }

    override func received(binary: ByteBuffer) {
        deliver(SharedFrame(BridgeServer.errorFragment("Only text messages are understood.")))
    }
}
