import Foundation
import NIOCore
import NIOEmbedded
import Platform
import Testing
@testable import Store
@testable import WSBridge

/// Collects what the hub pushes, as a connection would.
final class RecordingSink: FrameSink, @unchecked Sendable {
    private let lock = NSLock()
    private var frames: [String] = []
    private(set) var closeCode: UInt16?
    /// An embedded loop: the hub's tasks run on this thread when the test reads what arrived.
    private let loop: EmbeddedEventLoop
    init(loop: EmbeddedEventLoop = EmbeddedEventLoop()) { self.loop = loop }
    var eventLoop: (any EventLoop)? { loop }
    var received: [String] {
        loop.run()
        return lock.withLock { frames }
    }
    func push(_ frame: SharedFrame) { deliver(frame) }
    @discardableResult
    func deliver(_ frame: SharedFrame) -> Bool {
        lock.withLock { frames.append(frame.text) }
        return true
    }
    func requestClose(code: UInt16, reason: String) { lock.withLock { closeCode = code } }
}

@Suite struct HubTests {
    func notification(_ id: Int64, _ topic: String, user: Int64? = nil, connection: String? = nil) throws -> Outbox.Notification {
        let store = try Store(path: FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID().uuidString)/db.sqlite3").path)
        try store.write { db in
            try db.execute(sql: "INSERT INTO notifications (id, topic, html, user_id, connection_id, created_us) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, topic, "<p id=x>\(id)</p>", user, connection, unixMicros()])
        }
        return try store.notifications(after: id - 1)[0]
    }

    @Test func dispatchesByTopicUserAndConnectionInOrder() throws {
        let hub = Hub(limits: .init(), metrics: Metrics())
        let a = RecordingSink(), b = RecordingSink()
        #expect(try hub.register(id: "a", userID: 1, topics: ["game:1", "user:1"], sink: a) == 0)
        _ = try hub.register(id: "b", userID: 2, topics: ["game:1"], sink: b)
        hub.dispatch([try notification(1, "game:1"), try notification(2, "user:1", user: 1), try notification(3, "game:1", user: 2),
                      try notification(4, "game:1", connection: "b"), try notification(5, "other")])
        #expect(a.received == ["<!--n:1--><p id=x>1</p>", "<!--n:2--><p id=x>2</p>"])
        #expect(b.received == ["<!--n:1--><p id=x>1</p>", "<!--n:3--><p id=x>3</p>", "<!--n:4--><p id=x>4</p>"])
        #expect(hub.liveCursor == 5)
        hub.dispatch([try notification(5, "game:1")])
        #expect(a.received.count == 2, "an id at or below the cursor is never sent twice")
        hub.unregister(id: "a")
        hub.dispatch([try notification(6, "game:1")])
        #expect(a.received.count == 2 && b.received.count == 4)
    }

    @Test func connectionsSharingAnEventLoopGetEachNotificationOnceAfterOthersLeave() throws {
        let hub = Hub(limits: .init(), metrics: Metrics())
        let loops = [EmbeddedEventLoop(), EmbeddedEventLoop()]
        let sinks = (0..<10).map { RecordingSink(loop: loops[$0 % 2]) }
        for (index, sink) in sinks.enumerated() {
            // A topic named twice in a token counts once.
            _ = try hub.register(id: "c\(index)", userID: Int64(index % 3), topics: ["t", "t", "u:\(index)"], sink: sink)
        }
        // First, last and middle of each loop's list leave: the others must keep their places.
        for index in [0, 1, 8, 9, 4] { hub.unregister(id: "c\(index)") }
        let staying = [2, 3, 5, 6, 7]
        hub.dispatch([try notification(1, "t"), try notification(2, "t", user: 1), try notification(3, "t", connection: "c2"),
                      try notification(4, "u:3", connection: "c2"), try notification(5, "t", user: 2, connection: "c3")])
        for index in 0..<10 {
            var expected: [String] = []
            if staying.contains(index) {
                expected.append("<!--n:1--><p id=x>1</p>")
                if index % 3 == 1 { expected.append("<!--n:2--><p id=x>2</p>") }
                if index == 2 { expected.append("<!--n:3--><p id=x>3</p>") }
            }
            #expect(sinks[index].received == expected, "connection c\(index)")
        }
        let metrics = hub.metrics.prometheusText()
        #expect(metrics.contains("gomoku_bridge_frames_out_total 7"), "5 to the topic, 1 to its user, 1 to one connection: \(metrics)")
        for index in staying { hub.unregister(id: "c\(index)") }
        hub.dispatch([try notification(6, "t")])
        #expect(sinks.allSatisfy { !$0.received.contains("<!--n:6--><p id=x>6</p>") })
    }

    @Test func limitsConnectionsPerUserAndClosesAllOnRestart() throws {
        let hub = Hub(limits: .init(connectionsPerUser: 2), metrics: Metrics())
        let sinks = (0..<3).map { _ in RecordingSink() }
        _ = try hub.register(id: "1", userID: 9, topics: ["t"], sink: sinks[0])
        _ = try hub.register(id: "2", userID: 9, topics: ["t"], sink: sinks[1])
        #expect(throws: Hub.RegistrationError.tooManyForUser) { try hub.register(id: "3", userID: 9, topics: ["t"], sink: sinks[2]) }
        _ = try hub.register(id: "4", userID: nil, topics: ["t"], sink: sinks[2])
        hub.closeAll(code: 1012, reason: "restarting")
        #expect(sinks.map(\.closeCode) == [1012, 1012, 1012])
    }
}

@Suite struct PerMessageDeflateTests {
    @Test func negotiatesTheFirstAcceptableOffer() {
        #expect(PerMessageDeflate.negotiate(nil) == nil)
        #expect(PerMessageDeflate.negotiate("x-webkit-deflate-frame") == nil)
        let chrome = PerMessageDeflate.negotiate("permessage-deflate; client_max_window_bits")
        #expect(chrome?.0.serverWindowBits == 15)
        #expect(chrome?.1 == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        let small = PerMessageDeflate.negotiate("permessage-deflate; server_max_window_bits=10; bogus, permessage-deflate; server_max_window_bits=8")
        #expect(small?.0.serverWindowBits == 9, "the first offer has an unknown parameter; the second asks for 8 bits, 9 is used")
        #expect(small?.1 == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9")
        #expect(PerMessageDeflate.negotiate("permessage-deflate; server_max_window_bits=16") == nil)
        #expect(PerMessageDeflate.negotiate("permessage-deflate; server_no_context_takeover; server_no_context_takeover") == nil)
    }

    @Test func roundTripsAndRefusesBombs() throws {
        let text = String(repeating: "<div class=\"cell\"></div>", count: 400)
        let compressed = PerMessageDeflate.compress(text.utf8, windowBits: 15)
        #expect(compressed.count < text.utf8.count / 10)
        let restored = try PerMessageDeflate.decompress(ByteBuffer(bytes: compressed), limit: 1 << 20)
        #expect(String(buffer: restored) == text)
        #expect(throws: PerMessageDeflate.Failure.tooLarge) { try PerMessageDeflate.decompress(ByteBuffer(bytes: compressed), limit: 1000) }
        #expect(throws: PerMessageDeflate.Failure.corrupt) { try PerMessageDeflate.decompress(ByteBuffer(bytes: [0xff, 0xff, 0xff]), limit: 1000) }
        let shared = SharedFrame(text)
        #expect(Array(shared.compressed(windowBits: 15).readableBytesView) == compressed)
    }

    @Test func eachMessageIsCompressedWithinTheNegotiatedWindow() throws {
        #expect(PerMessageDeflate.parameters(forCount: 700, maxWindowBits: 15) == (10, 4), "a partial: a 1 KB window")
        #expect(PerMessageDeflate.parameters(forCount: 10, maxWindowBits: 15) == (9, 3))
        #expect(PerMessageDeflate.parameters(forCount: 22_000, maxWindowBits: 15) == (15, 8), "a page: zlib's defaults")
        #expect(PerMessageDeflate.parameters(forCount: 22_000, maxWindowBits: 11) == (11, 5), "never above the negotiated window")
        let cells = (0..<3_000).map { "<span id=\"p-\($0 % 19)-\($0 % 7)\" class=\"cell\"></span>" }.joined()
        for count in [1, 100, 700, 5_000, cells.utf8.count] {
            let text = String(cells.utf8.prefix(count))!
            for bits: Int32 in [9, 12, 15] {
                let compressed = PerMessageDeflate.compress(text.utf8, windowBits: bits)
                // An inflater with only the negotiated window fails ("too far back") on anything larger.
                let restored = try PerMessageDeflate.decompress(ByteBuffer(bytes: compressed), limit: 1 << 20, windowBits: bits)
                #expect(String(buffer: restored) == text, "\(count) bytes, \(bits)-bit window")
                if count >= 700 { #expect(compressed.count < count / 3, "\(count) bytes, \(bits)-bit window: \(compressed.count)") }
            }
        }
    }

    @Test func tokenBucketAllowsABurstThenTheRate() {
        var bucket = TokenBucket(rate: 1, burst: 3)
        let taken = (0..<4).map { _ in bucket.take() }
        #expect(taken == [true, true, true, false])
    }
}

@Suite struct SubscriptionTokenTests {
    let secret = Array("0123456789abcdef0123456789abcdef".utf8)

    @Test func signsAndVerifies() throws {
        let token = SubscriptionToken(userID: 5, topics: ["game:1", "user:5"], expires: 2_000_000_000)
        #expect(try SubscriptionToken.verify(token.signed(with: secret), secret: secret, now: 1_000) == token)
        let anonymous = SubscriptionToken(userID: nil, topics: ["demo"], expires: 2_000_000_000)
        #expect(try SubscriptionToken.verify(anonymous.signed(with: secret), secret: secret, now: 1_000) == anonymous)
    }

    @Test func refusesForgeriesAndExpiredTokens() {
        let signed = SubscriptionToken(userID: 5, topics: ["game:1"], expires: 2_000).signed(with: secret)
        #expect(throws: SubscriptionToken.Failure.expired) { try SubscriptionToken.verify(signed, secret: secret, now: 2_000) }
        #expect(throws: SubscriptionToken.Failure.badSignature) { try SubscriptionToken.verify(signed, secret: Array("x".utf8), now: 1) }
        let payload = Base64URL.encode(Array("1|9999999999|game:1,game:2".utf8))
        let forged = payload + "." + signed.split(separator: ".")[1]
        #expect(throws: SubscriptionToken.Failure.badSignature) { try SubscriptionToken.verify(forged, secret: secret, now: 1) }
        #expect(throws: SubscriptionToken.Failure.malformed) { try SubscriptionToken.verify("nodot", secret: secret, now: 1) }
    }
}
