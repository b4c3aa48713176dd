import Crypto
import Foundation
import Synchronization

/// Cryptographic randomness and the encodings tokens travel in.
public enum Random {
    /// `count` bytes from the system's CSPRNG, eight per call (one `getrandom` each) rather than one.
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return Array(bytes.prefix(count))
    }

    /// A URL- and cookie-safe token of `byteCount` random bytes.
    public static func token(byteCount: Int = 32) -> String { Base64URL.encode(bytes(byteCount)) }
}

public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// Unpadded base64url, byte by byte (tokens are encoded and decoded on every request).
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 2 < input.count {
            let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            for shift in [18, 12, 6, 0] { output.append(alphabet[Int((chunk >> UInt32(shift)) & 63)]) }
            index += 3
        }
        let rest = input.count - index
        if rest > 0 {
            let chunk = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
            output.append(alphabet[Int((chunk >> 18) & 63)])
            output.append(alphabet[Int((chunk >> 12) & 63)])
            if rest == 2 { output.append(alphabet[Int((chunk >> 6) & 63)]) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes of unpadded (or padded) base64url text; nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        var input = Array(text.utf8)
        guard input.count <= 4096 else { return nil }
        while input.last == UInt8(ascii: "=") { input.removeLast() }
        guard input.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in input {
            let value = values[Int(byte)]
            guard value != 0xFF else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        return output
    }
}

public enum Digest {
    public static func sha256(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }

    public static func hmac(_ message: String, key: [UInt8]) -> [UInt8] {
        var code = keyed(key)
        code.update(data: Array(message.utf8))
        return Array(code.finalize())
    }

    /// An HMAC with `key` absorbed, copied for each message: a process signs everything with its one
    /// secret (CSRF tokens, live subscriptions, the bridge's params — a few per page), and keying an
    /// HMAC afresh each time was most of its cost.
    private static func keyed(_ key: [UInt8]) -> HMAC<SHA256> {
        lastKeyed.withLock { last in
            if let last, last.key == key { return last.hmac }
            let hmac = HMAC<SHA256>(key: SymmetricKey(data: key))
            last = (key, hmac)
            return hmac
        }
    }

    private static let lastKeyed = Mutex<(key: [UInt8], hmac: HMAC<SHA256>)?>(nil)

    /// Compares without stopping at the first difference, so timing reveals nothing.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
