import Foundation
import Platform
import Store

/// A request that came through the WebSocket bridge (a ws-send or a presence report), proven by the
/// bridge's signature over its params. Web servers clear these params, and without the secret no
/// client can forge them.
public struct BridgeOrigin: Sendable, Equatable {
    public let connectionID: String
    public let userID: Int64?

    static func from(_ request: Request, secret: [UInt8]) throws -> BridgeOrigin? {
        guard let marker = request.params["GOMOKU_BRIDGE"], !marker.isEmpty else { return nil }
        let connection = request.params["GOMOKU_BRIDGE_CONNECTION"] ?? ""
        let user = request.params["GOMOKU_BRIDGE_USER"] ?? ""
        guard let signature = request.params["GOMOKU_BRIDGE_SIGNATURE"],
              BridgeSignature.verify(signature, connection: connection, user: user, path: request.params["REQUEST_URI"] ?? "", secret: secret)
        else { throw HTTPError(.forbidden, "This request claims to come from the live bridge but is not signed by it.") }
        return BridgeOrigin(connectionID: connection, userID: Int64(user))
    }
}

/// The live part of a page: the topics it listens to, signed into the `ws-connect` URL with the id of
/// the newest notification at render time, so the bridge replays anything committed since.
struct LiveSubscription {
    let url: String

    init(topics: [String], user: User?, latestID: Int64, signer: SubscriptionSigner) {
        url = "/ws/?t=\(signer.token(userID: user?.id, topics: topics))&last=\(latestID)"
    }

    /// What the layout needs: `{{#live}}ws-connect="{{url}}"{{/live}}`.
    var templateValues: [String: Any] { ["url": url] }
}

/// Signs subscription tokens, each once: a token expires `lifetime` after it is made, rounded up to the
/// next whole minute, so every page a user opens on the same topics within a minute carries the same
/// token and the HMAC is computed for the first of them only.
final class SubscriptionSigner: Sendable {
    static let lifetime: Int64 = 12 * 3600
    private let secret: [UInt8]
    private let signed = ProcessCache<SubscriptionToken, String>(capacity: 4096)

    init(secret: [UInt8]) { self.secret = secret }

    func token(userID: Int64?, topics: [String], now: Int64 = unixNow()) -> String {
        let expires = (now + Self.lifetime + 59) / 60 * 60
        let token = SubscriptionToken(userID: userID, topics: topics, expires: expires)
        if let kept = signed[token] { return kept }
        let text = token.signed(with: secret)
        signed[token] = text
        return text
    }
}

extension App {
    /// Subscribes a page to `topics` (read in the same snapshot as the page's data when called inside `read`).
    func liveSubscription(_ topics: [String], _ context: RequestContext, latestID: Int64) -> [String: Any] {
        LiveSubscription(topics: topics, user: context.user, latestID: latestID, signer: subscriptions).templateValues
    }

    /// Topics whose pages show who is here (a game, the demo); a user's private panels do not.
    static func showsPresence(_ topic: String) -> Bool { topic.hasPrefix("game:") || topic == liveDemoTopic }

    /// "Who is here" for any topic: the presence partial, swapped out of band by its id when pushed
    /// (`oob`), or in place in a page.
    func presenceFragment(topic: String, users: [User], oob: Bool = true) throws -> String {
        try presenceLists.html(for: topic, from: PresenceInput(users: users, oob: oob)) {
            try views.render("partials/presence", [
                "dom_id": Self.domID(topic: topic, prefix: "presence"), "oob": oob,
                "users": users.map { ["display_name": $0.displayName, "username": $0.username] },
                "count": users.count,
            ])
        }
    }

    /// What a presence list is rendered from (`RenderMemo`'s input).
    struct PresenceInput: Equatable {
        let users: [User]
        let oob: Bool
    }

    /// `presence-game-12` for topic `game:12` (topics are ASCII: `SubscriptionToken.isValidTopic`).
    static func domID(topic: String, prefix: String) -> String {
        prefix + "-" + String(decoding: topic.utf8.map { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): byte
            default: UInt8(ascii: "-")
            }
        }, as: UTF8.self)
    }

    /// The bridge reports joins and leaves; each changed topic gets its presence partial published.
    func internalPresence(_ context: RequestContext) throws -> Response {
        guard context.bridge != nil else {
            throw HTTPError(.forbidden, "Only the live bridge may report presence.")
        }
        let connection = context.field("connection")
        let event: PresenceEvent
        switch context.field("event") {
        case "join":
            let topics = context.field("topics").split(separator: ",").map(String.init).filter(SubscriptionToken.isValidTopic)
            event = .join(connection: connection, userID: Int64(context.field("user")), topics: topics)
        case "leave": event = .leave(connection: connection)
        case "reset": event = .reset
        default: throw HTTPError(.badRequest, "Unknown presence event.")
        }
        try store.publishing { db in
            for topic in try Store.applyPresence(db, event: event) {
                if topic.hasPrefix("user:") {
                    // A user's own topic has no "who is here": it says whether they are online, to their friends.
                    if let id = Int64(topic.dropFirst(5)) { try publishDashboardFriends(db, around: id) }
                } else if Self.showsPresence(topic) {
                    try Outbox.publish(db, topic: topic, html: presenceFragment(topic: topic, users: Store.presentUsers(db, topic: topic)))
                }
            }
        }
        return Response(status: .noContent)
    }
}
