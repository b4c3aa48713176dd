import Foundation

/// One frame from htmx's ws extension: the form's values plus `HEADERS`, as JSON.
/// `ws_path` names the handler it goes to.
struct WSSendMessage {
    let path: String
    /// `HTTP_*` params from `HEADERS` (htmx's own and the page's `hx-headers`, e.g. X-CSRF-Token).
    let headerParams: [String: String]
    /// The other fields, urlencoded.
    let body: [UInt8]

    struct Invalid: Error, CustomStringConvertible { let description: String }

    /// Headers a page must not be able to set through HEADERS: they come from the handshake.
    static let reservedHeaders: Set<String> = ["host", "cookie", "origin", "content-type", "content-length", "x-forwarded-for", "x-forwarded-proto"]

    init(json: String, allowedPrefixes: [String]) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)), let fields = object as? [String: Any] else {
            throw Invalid(description: "The message was not understood (expected a JSON object).")
        }
        guard let path = fields["ws_path"] as? String, path.hasPrefix("/"), !path.contains(".."), !path.contains("?"),
              allowedPrefixes.contains(where: { path.hasPrefix($0) }) else {
            throw Invalid(description: "The message does not name a place it may be sent to.")
        }
        self.path = path
        var headerParams: [String: String] = [:]
        if let headers = fields["HEADERS"] as? [String: Any] {
            for (name, value) in headers {
                guard let text = Self.scalar(value), !name.isEmpty, name.utf8.count <= 64,
                      name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" }),
                      !Self.reservedHeaders.contains(name.lowercased()) else { continue }
                headerParams["HTTP_" + name.uppercased().replacingOccurrences(of: "-", with: "_")] =
                    text.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
            }
        }
        self.headerParams = headerParams
        var pairs: [String] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) where name != "HEADERS" && name != "ws_path" {
            let values: [Any] = (value as? [Any]) ?? [value]
            for item in values {
                guard let text = Self.scalar(item) else { throw Invalid(description: "The field \(name.prefix(40)) has a value that is not text.") }
                pairs.append("\(Self.formEncode(name))=\(Self.formEncode(text))")
            }
        }
        body = Array(pairs.joined(separator: "&").utf8)
    }

    private static func scalar(_ value: Any) -> String? {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        case is NSNull: ""
        default: nil
        }
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
