import Foundation

/// An API failure: an HTTP status, a stable code, a sentence for people, and per-field messages.
struct APIError: Error {
    let status: HTTPStatus
    let message: String
    var fields: [String: String] = [:]
    var headers: [(String, String)] = []

    init(_ status: HTTPStatus, _ message: String, fields: [String: String] = [:], headers: [(String, String)] = []) {
        self.status = status
        self.message = message
        self.fields = fields
        self.headers = headers
    }

    init(_ error: HTTPError) {
        self.init(error.status, error.message, headers: error.headers)
    }

    /// The machine-readable name of a status, as documented in docs/api.md.
    static func code(for status: HTTPStatus) -> String {
        switch status.rawValue {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 422: "unprocessable"
        case 429: "too_many_requests"
        case 503: "unavailable"
        default: "internal_error"
        }
    }

    var response: Response {
        var response = Response.json(ErrorBody(code: Self.code(for: status), message: message, fields: fields.isEmpty ? nil : fields),
                                     status: status)
        for (name, value) in headers { response.setHeader(name, value) }
        return response
    }

    private struct ErrorBody: Encodable {
        let code: String
        let message: String
        let fields: [String: String]?
    }
}

extension Response {
    /// A JSON answer; keys sorted so answers are stable (and diffable in tests).
    static func json(_ value: some Encodable, status: HTTPStatus = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)) ?? Data(#"{"code":"internal_error","message":"The answer could not be encoded."}"#.utf8)
        return Response(status: status, headers: [("Content-Type", "application/json")], body: Array(body))
    }
}

/// Any JSON value, for fields the API keeps as the client sent them (`device_info`).
enum JSONValue: Codable, Equatable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension Request {
    /// The body as `T`: 415 unless it is JSON, 400 when it is not a JSON object, 422 naming each
    /// missing or mistyped field.
    func decodeJSON<T: Decodable>(_ type: T.Type) throws -> T {
        let contentType = MediaType(header("content-type") ?? "").essence
        guard contentType == "application/json" else {
            throw APIError(.unsupportedMediaType, "Send the body as JSON, with Content-Type: application/json.")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) else {
            throw APIError(.badRequest, "The body is not valid JSON.")
        }
        guard object is [String: Any] else { throw APIError(.badRequest, "The body must be a JSON object.") }
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError(.unprocessableContent, "The field \(key.stringValue) is required.", fields: [key.stringValue: "This field is required."])
        } catch let DecodingError.typeMismatch(expected, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError(.unprocessableContent, "The field \(field) has the wrong type.",
                           fields: [field: "Expected \(Self.jsonTypeName(expected))."])
        } catch let DecodingError.valueNotFound(expected, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError(.unprocessableContent, "The field \(field) may not be null.", fields: [field: "Expected \(Self.jsonTypeName(expected))."])
        } catch {
            throw APIError(.unprocessableContent, "The body does not have the expected fields.")
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "true or false"
        default: "an object"
        }
    }
}
