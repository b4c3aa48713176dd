import Foundation
import NIOCore
import NIOWebSocket

/// The protocol side of one WebSocket, shared by live connections and the test echo route:
/// fragment reassembly with limits, permessage-deflate, control frames (ping/pong/close with
/// RFC 6455 checks), UTF-8 validation of text, and closing with a chosen code. Subclasses receive
/// whole messages. Runs on the channel's event loop only.
class WebSocketSession: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    struct Limits {
        var maxMessageBytes: Int
        var maxFragments: Int
        var pingInterval: TimeAmount = .seconds(20)
    }

    private(set) var context: ChannelHandlerContext?
    private(set) var isClosing = false
    let deflate: PerMessageDeflate?
    let limits: Limits
    private var pingTask: Scheduled<Void>?
    private var unansweredPings = 0
    // A message arriving in fragments.
    private var partial: ByteBuffer?
    private var partialOpcode: WebSocketOpcode = .text
    private var partialCompressed = false
    private var partialCount = 0

    init(deflate: PerMessageDeflate?, limits: Limits) {
        self.deflate = deflate
        self.limits = limits
    }

    // Subclass hooks.
    func opened() {}
    func received(text: String) {}
    func received(binary: ByteBuffer) { close(code: 1003, reason: "binary messages are not accepted") }
    func closed() {}

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        schedulePing()
        opened()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pingTask?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        pingTask?.cancel()
        closed()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        // RSV1 marks a compressed message, only on its first frame and only if negotiated (RFC 7692 §6).
        let compressedAllowed = deflate != nil && (frame.opcode == .text || frame.opcode == .binary)
        guard !(frame.rsv2 || frame.rsv3 || (frame.rsv1 && !compressedAllowed)) else { return close(code: 1002, reason: "reserved bits set") }
        switch frame.opcode {
        case .connectionClose: receivedClose(frame)
        case .ping:
            guard frame.fin, frame.length <= 125 else { return close(code: 1002, reason: "bad ping") }
            send(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
        case .pong: unansweredPings = 0
        case .text, .binary:
            guard !isClosing else { return }
            guard partial == nil else { return close(code: 1002, reason: "a new message began before the last one ended") }
            if frame.fin { return deliver(frame.opcode, frame.unmaskedData, compressed: frame.rsv1) }
            guard frame.length <= limits.maxMessageBytes else { return close(code: 1009, reason: "message too large") }
            partial = frame.unmaskedData
            partialOpcode = frame.opcode
            partialCompressed = frame.rsv1
            partialCount = 1
        case .continuation:
            guard !isClosing else { return }
            guard var buffer = partial else { return close(code: 1002, reason: "continuation without a message") }
            partialCount += 1
            guard buffer.readableBytes + frame.length <= limits.maxMessageBytes, partialCount <= limits.maxFragments else {
                return close(code: 1009, reason: "message too large")
            }
            var data = frame.unmaskedData
            buffer.writeBuffer(&data)
            partial = buffer
            if frame.fin {
                partial = nil
                deliver(partialOpcode, buffer, compressed: partialCompressed)
            }
        default:
            close(code: 1002, reason: "unexpected frame")
        }
    }

    private func deliver(_ opcode: WebSocketOpcode, _ payload: ByteBuffer, compressed: Bool) {
        var payload = payload
        if compressed {
            do { payload = try PerMessageDeflate.decompress(payload, limit: limits.maxMessageBytes) } catch {
                return error == .tooLarge ? close(code: 1009, reason: "message too large") : close(code: 1007, reason: "bad compressed data")
            }
        }
        guard payload.readableBytes <= limits.maxMessageBytes else { return close(code: 1009, reason: "message too large") }
        if opcode == .binary { return received(binary: payload) }
        guard let text = String(validating: payload.readableBytesView, as: UTF8.self) else {
            return close(code: 1007, reason: "text must be UTF-8")
        }
        received(text: text)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        // A frame NIO's decoder refused (the upgrader's own error handling is off: it closed the socket as
        // soon as its close frame was written, while the rest of an oversized frame was still arriving, and
        // the kernel then reset the connection under the close frame — the client saw 1006, not 1009).
        case NIOWebSocketError.invalidFrameLength: close(code: 1009, reason: "frame too large", .failing)
        case is NIOWebSocketError: close(code: 1002, reason: "protocol error", .failing)
        // What the client sends after such a frame, read and dropped until the connection is closed.
        case ByteToMessageDecoderError.dataReceivedInErrorState: break
        default: context.close(promise: nil)
        }
    }

    /// Sends a text message (compressed when negotiated); false when the connection is closing.
    @discardableResult
    func send(text: String) -> Bool {
        send(shared: SharedFrame(text))
    }

    /// Sends a frame shared with other connections, reusing its compressed form.
    @discardableResult
    func send(shared frame: SharedFrame) -> Bool {
        guard context != nil, !isClosing else { return false }
        let wire = if let deflate {
            WebSocketFrame(fin: true, rsv1: true, opcode: .text, data: frame.compressed(windowBits: deflate.serverWindowBits))
        } else {
            WebSocketFrame(fin: true, opcode: .text, data: frame.payload)
        }
        send(wire)
        return true
    }

    func send(binary: ByteBuffer) {
        guard let context, !isClosing else { return }
        if let deflate {
            let bytes = PerMessageDeflate.compress(binary.readableBytesView, windowBits: deflate.serverWindowBits)
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            send(WebSocketFrame(fin: true, rsv1: true, opcode: .binary, data: buffer))
        } else {
            send(WebSocketFrame(fin: true, opcode: .binary, data: binary))
        }
    }

    func send(_ frame: WebSocketFrame) {
        context?.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// How a close frame ends the connection.
    enum Closing {
        /// We begin the closing handshake: the connection stays open (up to 2 s) for the client's close
        /// frame (`receivedClose` ends it) rather than closing at once — a socket closed with unread input
        /// is reset, and the client would lose our close code.
        case starting
        /// We answer the client's close: the handshake is complete and the connection closes as soon as our
        /// frame is written (RFC 6455 §7.1.1: the server closes the TCP connection first).
        case answering
        /// A frame could not be decoded, so no close frame of the client's can be read either: our side of
        /// the connection ends right after the frame, and what the client still sends is read and dropped
        /// until it closes its side (at most 2 s), so the connection is not reset under our close frame.
        case failing
    }

    /// Sends a close frame with `code`, then ends the connection as `closing` says.
    func close(code: UInt16, reason: String, _ closing: Closing = .starting) {
        guard let context, !isClosing else { return }
        isClosing = true
        partial = nil
        var buffer = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        buffer.writeInteger(code)
        buffer.writeString(String(reason.prefix(120)))
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: buffer))).whenComplete { _ in
            switch closing {
            case .answering: return channel.close(promise: nil)
            case .failing: channel.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
            case .starting: break
            }
            channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
        }
    }

    /// Answers a client's close: echo a valid code (RFC 6455 §7.4), or 1002/1007 for a bad one.
    private func receivedClose(_ frame: WebSocketFrame) {
        var data = frame.unmaskedData
        if isClosing { context?.close(promise: nil); return }
        // The client has sent its close, so whatever we answer completes the handshake.
        guard frame.fin else { return close(code: 1002, reason: "fragmented close", .answering) }
        switch data.readableBytes {
        case 0: close(code: 1000, reason: "", .answering)
        case 1: close(code: 1002, reason: "bad close payload", .answering)
        default:
            let code = data.readInteger(as: UInt16.self)!
            guard String(validating: data.readableBytesView, as: UTF8.self) != nil else { return close(code: 1007, reason: "bad close reason", .answering) }
            let valid = (1000...1003).contains(code) || (1007...1011).contains(code) || (3000...4999).contains(code)
            close(code: valid ? code : 1002, reason: "", .answering)
        }
    }

    private func schedulePing() {
        guard let context else { return }
        pingTask = context.eventLoop.scheduleTask(in: limits.pingInterval) { [weak self] in
            guard let self, !self.isClosing else { return }
            // Two pings without a pong: the peer is gone even if TCP has not noticed.
            if self.unansweredPings >= 2 { self.context?.close(promise: nil); return }
            self.unansweredPings += 1
            self.send(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer()))
            self.schedulePing()
        }
    }
}

/// Echoes every message: the target of the WebSocket conformance suite (`--test-echo` only).
final class EchoSession: WebSocketSession, @unchecked Sendable {
    override func received(text: String) { send(text: text) }
    override func received(binary: ByteBuffer) { send(binary: binary) }
}
