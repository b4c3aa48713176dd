/// FastCGI's record framing (the FastCGI 1.0 specification, §3.3), shared by the app's responder
/// (`FastCGIRecords`) and the bridge's client (`FastCGIClient`), so the header layout lives in one place.
public enum FastCGIRecord {
    public enum Kind: UInt8 {
        case beginRequest = 1, endRequest = 3, params = 4, stdin = 5, stdout = 6, stderr = 7
    }

    public static let version: UInt8 = 1
    public static let headerLength = 8
    /// A record's content length is 16 bits.
    public static let maxContent = 65535

    /// Writes the 8-byte header — version, type, request id, content length, padding length, a reserved
    /// byte — into `bytes` at `offset`.
    public static func putHeader(_ kind: Kind, requestID: Int, contentLength: Int, padding: Int = 0,
                                 into bytes: inout [UInt8], at offset: Int) {
        bytes[offset] = version
        bytes[offset + 1] = kind.rawValue
        bytes[offset + 2] = UInt8(truncatingIfNeeded: requestID >> 8)
        bytes[offset + 3] = UInt8(truncatingIfNeeded: requestID)
        bytes[offset + 4] = UInt8(truncatingIfNeeded: contentLength >> 8)
        bytes[offset + 5] = UInt8(truncatingIfNeeded: contentLength)
        bytes[offset + 6] = UInt8(truncatingIfNeeded: padding)
        bytes[offset + 7] = 0
    }
}
