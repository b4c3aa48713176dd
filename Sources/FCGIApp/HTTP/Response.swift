/// What the app answers: a status, ordered headers and a body.
public struct Response: Sendable {
    public var status: HTTPStatus
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: HTTPStatus = .ok, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// An HTML response.
    public static func html(_ html: String, status: HTTPStatus = .ok) -> Response {
        Response(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(html.utf8))
    }

    public static func text(_ text: String, status: HTTPStatus = .ok) -> Response {
        Response(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    public func header(_ name: String) -> String? {
        headers.last(where: { $0.0.equalsIgnoringASCIICase(name) })?.1
    }

    /// Sets a header, replacing any earlier value of the same name.
    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.0.equalsIgnoringASCIICase(name) }
        headers.append((name, value))
    }

    /// Adds a header, keeping earlier values (for `Set-Cookie`).
    public mutating func addHeader(_ name: String, _ value: String) {
        headers.append((name, value))
    }

    /// Adds `value` to a comma-separated header such as `Vary`, once.
    public mutating func appendToken(_ name: String, _ value: String) {
        if let existing = header(name) {
            let tokens = existing.split(separator: ",").map { $0.trimmingSpacesAndTabs.lowercased() }
            if !tokens.contains(value.lowercased()) { setHeader(name, existing + ", " + value) }
        } else {
            setHeader(name, value)
        }
    }

    /// The CGI/FastCGI form: a `Status:` line, headers, blank line, body.
    public func cgiBytes(includeBody: Bool = true) -> [UInt8] {
        Array(cgiHead().utf8) + (includeBody ? body : [])
    }

    /// The CGI/FastCGI head: the `Status:` line, the headers and the blank line (a worker writes the
    /// body after it as it is, without copying the two together).
    public func cgiHead() -> String {
        var head = "Status: \(status.rawValue) \(status.reasonPhrase)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if header("Content-Length") == nil { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return head
    }

    /// The raw HTTP/1.1 form printed by `gomoku-fcgi request`.
    public func httpText() -> String {
        var head = "HTTP/1.1 \(status.rawValue) \(status.reasonPhrase)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if header("Content-Length") == nil { head += "Content-Length: \(body.count)\r\n" }
        return head + "\r\n" + String(decoding: body, as: UTF8.self)
    }
}

import Platform
import Foundation

extension String {
    /// Percent-encoded for use as one query value.
    var urlQueryEncoded: String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
