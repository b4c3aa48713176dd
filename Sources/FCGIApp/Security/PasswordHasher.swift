import Platform
import Crypto
import _CryptoExtras
import Foundation

/// PBKDF2-HMAC-SHA256 with a per-user salt, stored as `pbkdf2_sha256$ITERATIONS$SALT$HASH`
/// (the format Django uses, so the cost travels with each hash and can be raised later).
public struct PasswordHasher: Sendable {
    public let iterations: Int

    public init(iterations: Int) { self.iterations = iterations }

    public func hash(_ password: String) -> String {
        let salt = Random.token(byteCount: 16)
        let derived = Self.derive(password, salt: salt, iterations: iterations)
        return "pbkdf2_sha256$\(iterations)$\(salt)$\(Data(derived).base64EncodedString())"
    }

    /// Checks `password` against a stored hash in constant time; malformed hashes never match.
    public func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        guard parts.count == 4, parts[0] == "pbkdf2_sha256", let rounds = Int(parts[1]), rounds > 0,
              let expected = Data(base64Encoded: String(parts[3])) else { return false }
        let derived = Self.derive(password, salt: String(parts[2]), iterations: rounds)
        return Digest.constantTimeEqual(derived, Array(expected))
    }

    /// True when a stored hash used fewer iterations than the current setting.
    public func needsRehash(_ stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        return parts.count != 4 || Int(parts[1]).map { $0 < iterations } ?? true
    }

    /// Spends the same time as a real check, so a missing account cannot be told from a wrong password.
    public func burnTime(_ password: String) {
        _ = Self.derive(password, salt: "timing-equaliser", iterations: iterations)
    }

    static func derive(_ password: String, salt: String, iterations: Int) -> [UInt8] {
        let key = try? KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: Array(salt.utf8), using: .sha256,
            outputByteCount: 32, unsafeUncheckedRounds: iterations)
        return key.map { $0.withUnsafeBytes { Array($0) } } ?? []
    }
}
