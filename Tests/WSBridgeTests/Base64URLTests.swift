import Foundation
import Platform
import Testing

/// Tokens are base64url everywhere (cookies, subscriptions, API tokens): the hand-written codec must
/// agree with Foundation's base64 for every length and refuse what is not base64url.
@Suite struct Base64URLTests {
    @Test func roundTripsAndMatchesFoundationForEveryLength() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            let foundation = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(encoded == foundation, "length \(length)")
            #expect(Base64URL.decode(encoded) == bytes, "length \(length)")
        }
        #expect(Base64URL.decode("aGk=") == Array("hi".utf8), "padding is accepted")
    }

    @Test func refusesWhatIsNotBase64URL() {
        for bad in ["a", "ab+c", "ab/c", "a b", "abc$", "é", String(repeating: "A", count: 5000)] {
            #expect(Base64URL.decode(bad) == nil, "\(bad.prefix(10))")
        }
    }
}

/// HMAC-SHA256 signs every CSRF token, subscription token and bridge request.
@Suite struct DigestTests {
    @Test func hmacMatchesRFC4231AcrossCallsKeysAndThreads() async {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        let jefe = Array("Jefe".utf8)
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"  // RFC 4231, test case 2
        #expect(hex(Digest.hmac("what do ya want for nothing?", key: jefe)) == expected)
        #expect(hex(Digest.hmac("what do ya want for nothing?", key: jefe)) == expected)
        // RFC 4231, test case 1: a second key does not disturb the first.
        let twenty0b = [UInt8](repeating: 0x0b, count: 20)
        #expect(hex(Digest.hmac("Hi There", key: twenty0b)) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let results = await withTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { hex(Digest.hmac("what do ya want for nothing?", key: jefe)) } }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: expected, count: 8))
    }
}
