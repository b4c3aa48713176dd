import Platform
import Foundation

/// Field values of a form or query string; a field may repeat.
public typealias FormFields = [String: [String]]

extension FormFields {
    /// The first value of `name`, if sent.
    public func value(_ name: String) -> String? { self[name]?.first }
}

/// Decoders for the body formats the app accepts. Every failure is a 4xx `HTTPError`.
enum FormDecoding {
    /// `a=1&b=two+words` → fields; invalid percent-escapes or UTF-8 → 400. Byte by byte: Foundation's
    /// `removingPercentEncoding` bridges every field through NSString, and every move posts a form.
    static func urlencoded(_ text: String, what: String = "form") throws -> FormFields {
        var fields: FormFields = [:]
        for pair in text.utf8.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decodeComponent(parts[0]), let value = parts.count > 1 ? decodeComponent(parts[1]) : "" else {
                throw HTTPError(.badRequest, "The \(what) is not validly encoded (bad percent-escape or UTF-8).")
            }
            guard !name.isEmpty else { continue }
            fields[name, default: []].append(value)
        }
        return fields
    }

    /// `two+words%21` → `two words!` (a path keeps its `+`: `plusIsSpace` false); nil for a `%` without two
    /// hex digits or bytes that are not UTF-8.
    static func decodeComponent(_ bytes: Substring.UTF8View, plusIsSpace: Bool = true) -> String? {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            index = bytes.index(after: index)
            guard byte == UInt8(ascii: "%") else {
                decoded.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                continue
            }
            guard index < bytes.endIndex, let high = hexValue(bytes[index]) else { return nil }
            index = bytes.index(after: index)
            guard index < bytes.endIndex, let low = hexValue(bytes[index]) else { return nil }
            index = bytes.index(after: index)
            decoded.append(high << 4 | low)
        }
        return String(validating: decoded, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Decodes a request body by its content type.
    static func body(_ body: [UInt8], contentType: String?) throws -> FormFields {
        if body.isEmpty { return [:] }
        let type = MediaType(contentType ?? "")
        switch type.essence {
        case "application/x-www-form-urlencoded":
            guard let text = String(validating: body, as: UTF8.self) else {
                throw HTTPError(.badRequest, "The form data is not valid UTF-8.")
            }
            return try urlencoded(text)
        case "multipart/form-data":
            guard let boundary = type.parameters["boundary"], !boundary.isEmpty, boundary.utf8.count <= 200 else {
                throw HTTPError(.badRequest, "The multipart form has no boundary.")
            }
            return try multipart(body, boundary: boundary)
        case "application/json":
            return try json(body)
        case "":
            throw HTTPError(.unsupportedMediaType, "The request has a body but no Content-Type; send a form (application/x-www-form-urlencoded).")
        default:
            throw HTTPError(.unsupportedMediaType, "Content type \(type.essence.prefix(60)) is not accepted here; send a form or JSON.")
        }
    }

    /// A JSON object whose values are strings, numbers, booleans or lists of them (what htmx's ws and json-enc send).
    static func json(_ body: [UInt8]) throws -> FormFields {
        guard String(validating: body, as: UTF8.self) != nil else {
            throw HTTPError(.badRequest, "The JSON body is not valid UTF-8.")
        }
        let decoded: [String: JSONField]
        do { decoded = try JSONDecoder().decode([String: JSONField].self, from: Data(body)) } catch {
            throw HTTPError(.badRequest, "The JSON body must be an object whose values are strings, numbers, booleans or lists of them.")
        }
        return decoded.mapValues(\.strings)
    }

    /// One JSON value as form values: scalars become one string, lists several; objects are refused.
    private struct JSONField: Decodable {
        let strings: [String]
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let list = try? container.decode([JSONScalar].self) {
                strings = list.map(\.string)
            } else {
                strings = [try container.decode(JSONScalar.self).string]
            }
        }
    }

    private struct JSONScalar: Decodable {
        let string: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { string = "" }
            else if let value = try? container.decode(Bool.self) { string = value ? "true" : "false" }
            else if let value = try? container.decode(Int64.self) { string = String(value) }
            else if let value = try? container.decode(Double.self) { string = String(value) }
            else { string = try container.decode(String.self) }
        }
    }

    /// RFC 7578 multipart/form-data. File parts are kept by their file name only; this app takes no uploads.
    static func multipart(_ body: [UInt8], boundary: String) throws -> FormFields {
        let delimiter = Array(("--" + boundary).utf8)
        let malformed = HTTPError(.badRequest, "The multipart form is malformed.")
        var fields: FormFields = [:]
        guard var position = body.firstRange(of: delimiter)?.upperBound else { throw malformed }
        while true {
            // After a delimiter: "--" ends the body, CRLF starts a part.
            if body[position...].starts(with: [45, 45]) { return fields }
            guard body[position...].starts(with: [13, 10]) else { throw malformed }
            position += 2
            guard let headerEnd = body[position...].firstRange(of: [13, 10, 13, 10]) else { throw malformed }
            guard let headerText = String(validating: body[position..<headerEnd.lowerBound], as: UTF8.self) else {
                throw HTTPError(.badRequest, "A multipart header is not valid UTF-8.")
            }
            let contentStart = headerEnd.upperBound
            guard let next = body[contentStart...].firstRange(of: [13, 10] + delimiter) else { throw malformed }
            let content = body[contentStart..<next.lowerBound]
            position = next.upperBound
            var name: String?
            var filename: String?
            for line in headerText.split(separator: "\r\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-disposition" else { continue }
                let disposition = MediaType(String(parts[1]))
                name = disposition.parameters["name"]
                filename = disposition.parameters["filename"]
            }
            guard let fieldName = name, !fieldName.isEmpty else { throw malformed }
            if let filename {
                fields[fieldName, default: []].append(filename)
            } else {
                guard let value = String(validating: content, as: UTF8.self) else {
                    throw HTTPError(.badRequest, "The form field \(fieldName.prefix(40)) is not valid UTF-8.")
                }
                fields[fieldName, default: []].append(value)
            }
        }
    }
}

/// `type/subtype; key=value` split into its parts (also used for Content-Disposition).
struct MediaType {
    let essence: String
    let parameters: [String: String]

    init(_ header: String) {
        let parts = header.utf8.split(separator: UInt8(ascii: ";"))
        essence = parts.first.map { Substring($0).trimmingSpacesAndTabs.lowercased() } ?? ""
        var parameters: [String: String] = [:]
        for part in parts.dropFirst() {
            guard let equals = part.firstIndex(of: UInt8(ascii: "=")), equals != part.startIndex,
                  part.index(after: equals) != part.endIndex else { continue }
            var value = Substring(part[part.index(after: equals)...]).trimmingSpacesAndTabs
            if value.utf8.count >= 2, value.utf8.first == UInt8(ascii: "\""), value.utf8.last == UInt8(ascii: "\"") {
                value = value.dropFirst().dropLast()
            }
            parameters[Substring(part[..<equals]).trimmingSpacesAndTabs.lowercased()] = String(value)
        }
        self.parameters = parameters
    }
}

extension Substring {
    /// Without the spaces and tabs around it: the only whitespace HTTP allows around a header's parts
    /// (and what may surround the name in a template tag).
    /// Byte by byte: Foundation's trimming is Unicode-wide and bridges through NSString, and splitting
    /// by Character breaks graphemes; both ran on every request's cookies and content type.
    var trimmingSpacesAndTabs: Substring {
        let bytes = utf8
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return self[endIndex...] }
        // After `last`: the end of a (possibly multi-byte) character, so the slice stays on a boundary.
        return self[first..<bytes.index(after: last)]
    }
}
