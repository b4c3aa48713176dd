import Glibc
import Platform

/// A response as the FastCGI records a responder sends — its CGI head and body as STDOUT records, the
/// empty STDOUT record that ends the stream, and END_REQUEST — written to the connection with one
/// `writev`. libfcgi's output stream copies everything through an 8 KiB buffer and writes it out each
/// time it fills, so a 22 KB page left in four writes, each of which woke the web server to read a part.
enum FastCGIRecords {
    /// IOV_MAX on Linux (not exported to Swift); a body of 1,024 records would be 64 MiB.
    static let maxVectors = 1024

    /// Writes `head` then `body` and ends the request with application status 0. False when the
    /// connection failed (the web server went away); the caller must then not reuse it.
    static func send(head: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer, requestID: Int, to fd: Int32) -> Bool {
        let maxContent = FastCGIRecord.maxContent
        let parts = [head, body]
        let recordCount = parts.reduce(0) { $0 + ($1.count + maxContent - 1) / maxContent }
        // One 8-byte header per content record, then the empty STDOUT record and END_REQUEST (8 + 8).
        var headers = [UInt8](repeating: 0, count: 8 * recordCount + 24)
        var slices: [(headerOffset: Int, content: UnsafeRawBufferPointer)] = []
        var offset = 0
        for part in parts {
            var start = 0
            while start < part.count {
                let length = min(maxContent, part.count - start)
                FastCGIRecord.putHeader(.stdout, requestID: requestID, contentLength: length, into: &headers, at: offset)
                slices.append((offset, UnsafeRawBufferPointer(rebasing: part[start..<(start + length)])))
                offset += 8
                start += length
            }
        }
        FastCGIRecord.putHeader(.stdout, requestID: requestID, contentLength: 0, into: &headers, at: offset)
        FastCGIRecord.putHeader(.endRequest, requestID: requestID, contentLength: 8, into: &headers, at: offset + 8)
        // END_REQUEST's body stays zero: appStatus 0 (4 bytes), protocolStatus FCGI_REQUEST_COMPLETE (0), 3 reserved.
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
