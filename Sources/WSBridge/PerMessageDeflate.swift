import CZlib
import Foundation
import NIOCore

/// permessage-deflate (RFC 7692) without context takeover in either direction: every message is
/// compressed on its own, so a broadcast is compressed once and the same bytes go to every
/// connection that negotiated the same window — and an idle connection holds no zlib state.
struct PerMessageDeflate: Sendable, Equatable {
    /// The server's LZ77 window, as the client allowed (9…15).
    let serverWindowBits: Int32

    /// Accepts the first acceptable offer of a `Sec-WebSocket-Extensions` request header and returns
    /// the negotiated extension with the response header value, or nil when none is acceptable.
    static func negotiate(_ header: String?) -> (PerMessageDeflate, String)? {
        guard let header else { return nil }
        for offer in header.split(separator: ",") {
            let parts = offer.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first == "permessage-deflate" else { continue }
            var seen = Set<String>()
            var serverBits: Int32 = 15
            var acceptable = true
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                let name = pair[0]
                guard seen.insert(name).inserted else { acceptable = false; break }
                switch name {
                case "server_no_context_takeover", "client_no_context_takeover":
                    if pair.count != 1 { acceptable = false }
                case "server_max_window_bits":
                    guard pair.count == 2, let bits = Int32(pair[1]), (8...15).contains(bits) else { acceptable = false; break }
                    serverBits = max(9, bits)  // zlib's raw deflate cannot use an 8-bit window; 9 is compatible
                case "client_max_window_bits":
                    if pair.count == 2, Int32(pair[1]).map({ !(8...15).contains($0) }) ?? true { acceptable = false }
                default:
                    acceptable = false
                }
                if !acceptable { break }
            }
            guard acceptable else { continue }
            var response = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
            if seen.contains("server_max_window_bits") { response += "; server_max_window_bits=\(serverBits)" }
            return (PerMessageDeflate(serverWindowBits: serverBits), response)
        }
        return nil
    }

    enum Failure: Error { case corrupt, tooLarge }

    /// zlib's window and hash table for one message of `count` bytes: the smallest window that holds the
    /// whole message (no match could reach further back; any window up to the negotiated one is allowed)
    /// and a hash table to match. Every new stream clears its hash table, and at zlib's default (64 KB)
    /// that clearing costs ten times the compression of a 700-byte partial.
    static func parameters(forCount count: Int, maxWindowBits: Int32) -> (windowBits: Int32, memLevel: Int32) {
        var bits: Int32 = 9
        while bits < maxWindowBits, (1 << bits) < count { bits += 1 }
        return (bits, min(8, max(1, bits - 6)))
    }

    /// Compresses one message (the payload of a frame with RSV1 set) with at most a `windowBits` window.
    static func compress(_ bytes: some Collection<UInt8>, windowBits: Int32) -> [UInt8] {
        var input = Array(bytes)
        let (bits, memLevel) = parameters(forCount: input.count, maxWindowBits: windowBits)
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, memLevel, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 16)
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                _ = deflate(&stream, Z_SYNC_FLUSH)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        var result = Array(output[0..<produced])
        // A sync flush ends with 00 00 ff ff, which the protocol leaves out (RFC 7692 §7.2.1).
        if result.suffix(4) == [0, 0, 0xff, 0xff] { result.removeLast(4) }
        if result.isEmpty { result = [0] }
        return result
    }

    /// Decompresses one message, refusing more than `limit` bytes of output; `windowBits` is the largest
    /// window the sender may have used.
    static func decompress(_ bytes: ByteBuffer, limit: Int, windowBits: Int32 = 15) throws(Failure) -> ByteBuffer {
        var stream = z_stream()
        guard inflateInit2_(&stream, -windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw .corrupt }
        defer { inflateEnd(&stream) }
        var input = Array(bytes.readableBytesView) + [0, 0, 0xff, 0xff]
        var output = ByteBuffer()
        var chunk = [UInt8](repeating: 0, count: 16_384)
        var status: Int32 = Z_OK
        try input.withUnsafeMutableBufferPointer { (inBuffer) throws(Failure) in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { outBuffer -> Int in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    status = inflate(&stream, Z_SYNC_FLUSH)
                    return outBuffer.count - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else { throw .corrupt }
                output.writeBytes(chunk[0..<produced])
                guard output.readableBytes <= limit else { throw .tooLarge }
                if produced == 0 { break }
            } while stream.avail_in > 0 || stream.avail_out == 0
        }
        return output
    }
}

/// A pushed frame shared by every connection it goes to: its bytes are made once (and compressed
/// once per window size on first use), and every connection writes the same buffer.
final class SharedFrame: @unchecked Sendable {
    let text: String
    /// The uncompressed payload; ByteBuffer is copy-on-write, so writing it to many channels copies nothing.
    let payload: ByteBuffer
    private let lock = NSLock()
    private var compressed: [Int32: ByteBuffer] = [:]

    init(_ text: String) {
        self.text = text
        payload = ByteBuffer(string: text)
    }

    func compressed(windowBits: Int32) -> ByteBuffer {
        lock.withLock {
            if let done = compressed[windowBits] { return done }
            let bytes = ByteBuffer(bytes: PerMessageDeflate.compress(text.utf8, windowBits: windowBits))
            compressed[windowBits] = bytes
            return bytes
        }
    }
}
