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
