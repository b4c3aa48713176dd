import Foundation
import Testing
@testable import FCGIApp

@Suite struct FastCGIRecordsTests {
    /// (type, request id, content) of every record in `bytes`; nil if they do not parse exactly.
    private func records(_ bytes: [UInt8]) -> [(type: UInt8, requestID: Int, content: [UInt8])]? {
        var parsed: [(UInt8, Int, [UInt8])] = []
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 8, bytes[offset] == 1 else { return nil }
            let length = Int(bytes[offset + 4]) << 8 | Int(bytes[offset + 5])
            let end = offset + 8 + length + Int(bytes[offset + 6])
            guard end <= bytes.count else { return nil }
            parsed.append((bytes[offset + 1], Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]), Array(bytes[(offset + 8)..<(offset + 8 + length)])))
            offset = end
        }
        return parsed
    }

    /// Sends through a socket pair while a second thread reads everything, as a web server would.
    private func sendAndRead(head: [UInt8], body: [UInt8], requestID: Int) throws -> (sent: Bool, received: [UInt8]) {
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        let received = ReceivedBytes()
        let readEnd = pair[1]
        let reader = Thread {
            var chunk = [UInt8](repeating: 0, count: 4096)  // small reads: the writer waits on a full socket buffer
            while true {
                let count = read(readEnd, &chunk, chunk.count)
                if count <= 0 { break }
                received.append(chunk[0..<count])
            }
            received.finish()
        }
        reader.start()
        let sent = head.withUnsafeBytes { head in body.withUnsafeBytes { FastCGIRecords.send(head: head, body: $0, requestID: requestID, to: pair[0]) } }
        close(pair[0])
        let bytes = received.wait()
        close(pair[1])
        return (sent, bytes)
    }

    @Test func aResponseLargerThanARecordAndTheSocketBufferArrivesWholeAndEnded() throws {
        let head = Array("Status: 200 OK\r\nContent-Type: text/html\r\n\r\n".utf8)
        let body = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let (sent, bytes) = try sendAndRead(head: head, body: body, requestID: 513)
        #expect(sent)
        let parsed = try #require(records(bytes))
        #expect(parsed.allSatisfy { $0.requestID == 513 })
        let stdout = parsed.dropLast(2)
        #expect(stdout.allSatisfy { $0.type == 6 && !$0.content.isEmpty && $0.content.count <= 65535 })
        #expect(stdout.flatMap(\.content) == head + body)
        #expect(stdout.count == 1 + 5)  // the head, then 300,000 bytes in records of at most 65,535
        #expect(parsed[parsed.count - 2].type == 6 && parsed[parsed.count - 2].content.isEmpty)
        #expect(parsed.last!.type == 3 && parsed.last!.content == [0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func anEmptyBodySendsTheHeadAndTheEndRecords() throws {
        let head = Array("Status: 204 No Content\r\n\r\n".utf8)
        let (sent, bytes) = try sendAndRead(head: head, body: [], requestID: 1)
        #expect(sent)
        let parsed = try #require(records(bytes))
        #expect(parsed.map(\.type) == [6, 6, 3])
        #expect(parsed[0].content == head && parsed[1].content.isEmpty)
    }

    @Test func aClosedConnectionIsReportedNotFatal() throws {
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        close(pair[1])
        signal(SIGPIPE, SIG_IGN)
        let body = [UInt8](repeating: 65, count: 1000)
        let sent = body.withUnsafeBytes { FastCGIRecords.send(head: UnsafeRawBufferPointer(start: nil, count: 0), body: $0, requestID: 1, to: pair[0]) }
        close(pair[0])
        #expect(!sent)
    }
}

/// Bytes a reader thread collects, handed over once it has seen the end.
private final class ReceivedBytes: @unchecked Sendable {
    private let condition = NSCondition()
    private var bytes: [UInt8] = []
    private var done = false

    func append(_ chunk: ArraySlice<UInt8>) { condition.withLock { bytes += chunk } }
    func finish() { condition.withLock { done = true; condition.broadcast() } }
    func wait() -> [UInt8] {
        condition.withLock {
            while !done { condition.wait() }
            return bytes
        }
    }
}
