import Glibc

/// A response as the FastCGI records a responder sends — its CGI head and body as STDOUT records, the
/// empty STDOUT record that ends the stream, and END_REQUEST — written to the connection with one
/// `writev`. libfcgi's output stream copies everything through an 8 KiB buffer and writes it out each
/// time it fills, so a 22 KB page left in four writes, each of which woke the web server to read a part.
enum FastCGIRecords {
    static let version: UInt8 = 1
    static let stdout: UInt8 = 6
    static let endRequest: UInt8 = 3
    /// A record's content length is 16 bits.
    static let maxContent = 65535
    /// IOV_MAX on Linux (not exported to Swift); a body of 1,024 records would be 64 MiB.
    static let maxVectors = 1024

    /// Writes `head` then `body` and ends the request with application status 0. False when the
    /// connection failed (the web server went away); the caller must then not reuse it.
    static func send(head: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer, requestID: Int, to fd: Int32) -> Bool {
        let parts = [head, body].filter { !$0.isEmpty }
        let recordCount = parts.reduce(0) { $0 + ($1.count + maxContent - 1) / maxContent }
        // One 8-byte header per content record, then the empty STDOUT record and END_REQUEST (8 + 8).
        var headers = [UInt8](repeating: 0, count: 8 * recordCount + 24)
        var slices: [(headerOffset: Int, content: UnsafeRawBufferPointer)] = []
        var offset = 0
        for part in parts {
            var start = 0
            while start < part.count {
                let length = min(maxContent, part.count - start)
                writeHeader(&headers, at: offset, type: stdout, requestID: requestID, contentLength: length)
                slices.append((offset, UnsafeRawBufferPointer(rebasing: part[start..<(start + length)])))
                offset += 8
                start += length
            }
        }
        writeHeader(&headers, at: offset, type: stdout, requestID: requestID, contentLength: 0)
        writeHeader(&headers, at: offset + 8, type: endRequest, requestID: requestID, contentLength: 8)
        // END_REQUEST's body: appStatus 0 (4 bytes), protocolStatus FCGI_REQUEST_COMPLETE (0), 3 reserved.
        return headers.withUnsafeBytes { headerBytes in
            var vectors: [iovec] = []
            vectors.reserveCapacity(2 * slices.count + 1)
            for slice in slices {
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: headerBytes.baseAddress! + slice.headerOffset), iov_len: 8))
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: slice.content.baseAddress!), iov_len: slice.content.count))
            }
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: headerBytes.baseAddress! + offset), iov_len: 24))
            return writeAll(&vectors, to: fd)
        }
    }

    private static func writeHeader(_ bytes: inout [UInt8], at offset: Int, type: UInt8, requestID: Int, contentLength: Int) {
        bytes[offset] = version
        bytes[offset + 1] = type
        bytes[offset + 2] = UInt8(truncatingIfNeeded: requestID >> 8)
        bytes[offset + 3] = UInt8(truncatingIfNeeded: requestID)
        bytes[offset + 4] = UInt8(truncatingIfNeeded: contentLength >> 8)
        bytes[offset + 5] = UInt8(truncatingIfNeeded: contentLength)
        // Padding length 0 (padding is only recommended) and the reserved byte stay 0.
    }

    /// `writev` until every vector is written: a response larger than the socket's buffer goes out in
    /// several calls, each starting where the last one stopped.
    private static func writeAll(_ vectors: inout [iovec], to fd: Int32) -> Bool {
        var first = 0
        while first < vectors.count {
            let written = vectors.withUnsafeBufferPointer { writev(fd, $0.baseAddress! + first, Int32(min($0.count - first, maxVectors))) }
            if written < 0, errno == EINTR { continue }
            if written <= 0 { return false }
            var remaining = written
            while first < vectors.count, remaining >= vectors[first].iov_len {
                remaining -= vectors[first].iov_len
                first += 1
            }
            if remaining > 0 {
                vectors[first].iov_base += remaining
                vectors[first].iov_len -= remaining
            }
        }
        return true
    }
}
