import Foundation

/// What a page may listen to, signed by the app and checked by the bridge before it upgrades:
/// `base64url(userID|expiry|topic,topic…).base64url(HMAC-SHA256)`. The bridge never trusts a topic
/// the token does not carry.
public struct SubscriptionToken: Sendable, Hashable {
    /// The signed-in user, or nil for an anonymous visitor.
    public let userID: Int64?
    public let topics: [String]
    /// Seconds since 1970 after which the token no longer opens a connection.
    public let expires: Int64

    public init(userID: Int64?, topics: [String], expires: Int64) {
        self.userID = userID
        self.topics = topics
        self.expires = expires
    }

    /// A topic is `kind:id`-like text: letters, digits and `:_.-`, at most 100 characters.
    public static func isValidTopic(_ topic: String) -> Bool {
        !topic.isEmpty && topic.utf8.count <= 100 && topic.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || ":_.-".unicodeScalars.contains($0)
        }
    }

    public func signed(with secret: [UInt8]) -> String {
        let payload = "\(userID.map(String.init) ?? "")|\(expires)|\(topics.joined(separator: ","))"
        let encoded = Base64URL.encode(Array(payload.utf8))
        return encoded + "." + Base64URL.encode(Digest.hmac("subscribe:" + encoded, key: secret))
    }

    public enum Failure: Error, Equatable { case malformed, badSignature, expired }

    /// Checks signature and expiry and returns the claims.
    public static func verify(_ token: String, secret: [UInt8], now: Int64 = Int64(Date().timeIntervalSince1970)) throws(Failure) -> SubscriptionToken {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let signature = Base64URL.decode(String(parts[1])) else { throw .malformed }
        let expected = Digest.hmac("subscribe:" + parts[0], key: secret)
        guard Digest.constantTimeEqual(signature, expected) else { throw .badSignature }
        guard let bytes = Base64URL.decode(String(parts[0])), let payload = String(validating: bytes, as: UTF8.self) else { throw .malformed }
        let fields = payload.split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count == 3, let expires = Int64(fields[1]) else { throw .malformed }
        let userID: Int64?
        if fields[0].isEmpty { userID = nil } else {
            guard let id = Int64(fields[0]) else { throw .malformed }
            userID = id
        }
        let topics = fields[2].split(separator: ",").map(String.init)
        guard topics.allSatisfy(isValidTopic) else { throw .malformed }
        guard expires > now else { throw .expired }
        return SubscriptionToken(userID: userID, topics: topics, expires: expires)
    }
}

/// Signs what the bridge tells the app (the connection and user behind a ws-send, presence changes),
/// so the app can tell those params from anything a client could send through the web server.
public enum BridgeSignature {
    public static func sign(connection: String, user: String, path: String, secret: [UInt8]) -> String {
        Base64URL.encode(Digest.hmac("bridge:\(connection)|\(user)|\(path)", key: secret))
    }

    public static func verify(_ signature: String, connection: String, user: String, path: String, secret: [UInt8]) -> Bool {
        Digest.constantTimeEqual(Array(signature.utf8), Array(sign(connection: connection, user: user, path: path, secret: secret).utf8))
    }
}
