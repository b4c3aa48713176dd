import Platform
import Foundation

/// One HTTP request as the web server handed it over (FastCGI params or CGI environment + body).
public struct Request: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        case GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS
        /// Methods that may change state and so need a CSRF token.
        public var isUnsafe: Bool { !(self == .GET || self == .HEAD || self == .OPTIONS) }
    }

    public let method: Method
    /// The decoded path, always starting with `/`.
    public let path: String
    public let rawQuery: String
    public let query: [String: [String]]
    /// Header names lowercased, `-` separated (`hx-request`).
    public let headers: [String: String]
    public let cookies: [String: String]
    public let body: [UInt8]
    public let remoteAddress: String
    public let isHTTPS: Bool
    /// The raw params, for `--dev` error pages and for what only the bridge may set.
    public let params: [String: String]

    /// Builds a request from CGI/FastCGI params. Throws a 4xx `HTTPError` for input that cannot be a request.
    public init(params: [String: String], body: [UInt8]) throws {
        guard let methodName = params["REQUEST_METHOD"], !methodName.isEmpty else {
            throw HTTPError(.badRequest, "The request has no method.")
        }
        guard let method = Method(rawValue: methodName) else {
            throw HTTPError(.methodNotAllowed, "The method \(methodName.prefix(20)) is not supported.",
                            headers: [("Allow", "GET, HEAD, POST")])
        }
        self.method = method
        var rawPath: Substring
        var rawQuery = params["QUERY_STRING"] ?? ""
        if let uri = params["REQUEST_URI"], !uri.isEmpty {
            let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            rawPath = parts[0]
            if parts.count > 1, rawQuery.isEmpty { rawQuery = String(parts[1]) }
        } else {
            rawPath = Substring((params["SCRIPT_NAME"] ?? "") + (params["PATH_INFO"] ?? ""))
        }
        if rawPath.isEmpty { rawPath = "/" }
        guard let decoded = FormDecoding.decodeComponent(rawPath.utf8, plusIsSpace: false), decoded.hasPrefix("/"),
              !decoded.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { throw HTTPError(.badRequest, "The address of this request is not valid.") }
        path = decoded
        self.rawQuery = rawQuery
        query = try FormDecoding.urlencoded(rawQuery, what: "query string")
        var headers: [String: String] = [:]
        for (name, value) in params where name.hasPrefix("HTTP_") {
            headers[Self.headerName(fromParam: name)] = value
        }
        if let type = params["CONTENT_TYPE"], !type.isEmpty { headers["content-type"] = type }
        self.headers = headers
        cookies = Self.parseCookies(headers["cookie"] ?? "")
        self.body = body
        remoteAddress = params["REMOTE_ADDR"] ?? ""
        let https = params["HTTPS"]?.lowercased() ?? ""
        isHTTPS = https == "on" || https == "1" || params["REQUEST_SCHEME"] == "https"
        self.params = params
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// `HTTP_X_CSRF_TOKEN` → `x-csrf-token`, byte by byte (this runs for every header of every request).
    static func headerName(fromParam param: String) -> String {
        var bytes = Array(param.utf8.dropFirst(5))
        for index in bytes.indices {
            switch bytes[index] {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes[index] += 32
            case UInt8(ascii: "_"): bytes[index] = UInt8(ascii: "-")
            default: break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `scheme://host[:port]` as the browser addressed us, for Origin checks and absolute URLs.
    public var origin: String? {
        guard let host = headers["host"], !host.isEmpty else { return nil }
        return (isHTTPS ? "https://" : "http://") + host
    }

    /// The cookies of a `Cookie` header, by name; the first occurrence of a name wins, as browsers send the
    /// most specific cookie first. Scanned byte by byte over the header's UTF-8 (this runs for every
    /// request): it splits only at ASCII bytes, so every part is whole UTF-8.
    static func parseCookies(_ header: String) -> [String: String] {
        var cookies: [String: String] = [:]
        var header = header
        header.withUTF8 { bytes in
            func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
            func trimmed(_ range: Range<Int>) -> Range<Int> {
                var (lower, upper) = (range.lowerBound, range.upperBound)
                while lower < upper, isBlank(bytes[lower]) { lower += 1 }
                while upper > lower, isBlank(bytes[upper - 1]) { upper -= 1 }
                return lower..<upper
            }
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: ";") { end += 1 }
                defer { start = end + 1 }
                guard let equals = (start..<end).first(where: { bytes[$0] == UInt8(ascii: "=") }),
                      equals != start, equals + 1 != end else { continue }
                var value = trimmed(equals + 1..<end)
                if value.count >= 2, bytes[value.lowerBound] == UInt8(ascii: "\""), bytes[value.upperBound - 1] == UInt8(ascii: "\"") {
                    value = value.lowerBound + 1..<value.upperBound - 1
                }
                let name = text(trimmed(start..<equals))
                if cookies[name] == nil { cookies[name] = text(value) }
            }
        }
        return cookies
    }
}
