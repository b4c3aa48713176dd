import Foundation
import Platform

/// A small blocking FastCGI client: the bridge's way into the app's handlers (ws-send, presence).
/// One connection per request, like nginx without keep-alive; run it off the event loop.
public struct FastCGIClient: Sendable {
    /// A unix socket path or `HOST:PORT`.
    public let address: String
    public var timeoutSeconds: Int = 30

    public init(address: String) { self.address = address }

    public struct Response: Sendable, Equatable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        public static func == (a: Response, b: Response) -> Bool { a.status == b.status && a.body == b.body }
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    public struct Failure: Error, CustomStringConvertible { public let description: String }

    public func send(params: [String: String], body: [UInt8]) throws -> Response {
        let fd = try connectSocket()
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var out: [UInt8] = []
        // BEGIN_REQUEST: role 1 (responder), flags 0 (close the connection after the request).
        out += Self.record(.beginRequest, content: [0, 1, 0, 0, 0, 0, 0, 0])
        var encodedParams: [UInt8] = []
        for (name, value) in params { encodedParams += Self.lengthPrefix(name.utf8.count) + Self.lengthPrefix(value.utf8.count) + Array(name.utf8) + Array(value.utf8) }
        for chunk in Self.chunks(encodedParams) { out += Self.record(.params, content: chunk) }
        out += Self.record(.params, content: [])
        for chunk in Self.chunks(body) { out += Self.record(.stdin, content: chunk) }
        out += Self.record(.stdin, content: [])
        try writeAll(fd, out)
        var stdout: [UInt8] = []
        var buffer: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &scratch, scratch.count)
            if count < 0 { throw Failure(description: "reading from \(address): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            buffer += scratch[0..<count]
            var ended = false
            while buffer.count >= 8 {
                let length = Int(buffer[4]) << 8 | Int(buffer[5])
                let total = 8 + length + Int(buffer[6])
                guard buffer.count >= total else { break }
                let kind = FastCGIRecord.Kind(rawValue: buffer[1])
                if kind == .stdout { stdout += buffer[8..<(8 + length)] }
                if kind == .endRequest { ended = true }
                buffer.removeFirst(total)
            }
            if ended { break }
        }
        return try Self.parse(stdout)
    }

    static func parse(_ output: [UInt8]) throws -> Response {
        guard let split = output.firstRange(of: [13, 10, 13, 10]) else { throw Failure(description: "the app sent no response headers") }
        let head = String(decoding: output[..<split.lowerBound], as: UTF8.self)
        var status = 200
        var headers: [(String, String)] = []
        for line in head.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name.lowercased() == "status" { status = Int(value.prefix(3)) ?? 500 } else { headers.append((name, value)) }
        }
        return Response(status: status, headers: headers, body: Array(output[split.upperBound...]))
    }

    /// One record of request 1, padded to a multiple of 8 bytes.
    private static func record(_ kind: FastCGIRecord.Kind, content: [UInt8]) -> [UInt8] {
        let padding = (8 - content.count % 8) % 8
        var header = [UInt8](repeating: 0, count: FastCGIRecord.headerLength)
        FastCGIRecord.putHeader(kind, requestID: 1, contentLength: content.count, padding: padding, into: &header, at: 0)
        return header + content + [UInt8](repeating: 0, count: padding)
    }

    private static func lengthPrefix(_ length: Int) -> [UInt8] {
        length < 128 ? [UInt8(length)] : [UInt8((length >> 24) | 0x80), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
    }

    private static func chunks(_ bytes: [UInt8]) -> [[UInt8]] {
        stride(from: 0, to: bytes.count, by: 65528).map { Array(bytes[$0..<min($0 + 65528, bytes.count)]) }
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written <= 0 { throw Failure(description: "writing to \(address): \(String(cString: strerror(errno)))") }
            offset += written
        }
    }

    private func connectSocket() throws -> Int32 {
        if address.hasPrefix("/") || !address.contains(":") {
            guard let unixAddress = UnixSocketAddress(address) else { throw Failure(description: "the app socket path \(address) is too long") }
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            let result = unixAddress.withSockaddr { connect(fd, $0, $1) }
            guard result == 0 else { close(fd); throw Failure(description: "cannot reach the app at \(address): \(String(cString: strerror(errno)))") }
            return fd
        }
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw Failure(description: "bad app address \(address)") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, parts[0] == "localhost" ? "127.0.0.1" : String(parts[0]), &addr.sin_addr)
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(fd); throw Failure(description: "cannot reach the app at \(address): \(String(cString: strerror(errno)))") }
        return fd
    }
}
