import NIOCore
import NIOHTTPTypes

/// After an early 413 (a body refused before it was read), the connection is closed instead of the body
/// being read to the end: Hummingbird would drain a keep-alive request's whole body (100 MB read to be
/// thrown away), and on `Connection: close` it stops reading and waits for the client to close, which a
/// client still sending its body never does. The answer goes out with `Connection: close`, then the
/// server closes its side and reads what follows for a short while (at most `lingerBytes`, or
/// `lingerTime`), so the client sees the 413 rather than a reset, and then closes.
final class RefusedBodyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let lingerBytes = 256 << 10
    static let lingerTime = TimeAmount.seconds(1)

    /// Whether the last request read has its body read to the end.
    private var requestComplete = true
    /// Request heads read and answers written: a 413 is for the request being read only when every
    /// request before it has its answer (pipelined requests behind a finished one are not dropped).
    private var headsRead = 0
    private var answersWritten = 0
    private var closed = false
    /// A 413 is being written for a request whose body is unread.
    private var refusing = false
    /// The answer is out: what comes is read and dropped until the close.
    private var lingering = false
    private var lingered = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if lingering {
            guard !closed else { return }
            if case .body(let bytes) = part { lingered += bytes.readableBytes }
            if case .end = part {
                close(context)
            } else if lingered > Self.lingerBytes {
                close(context)
            } else {
                context.read()
            }
            return
        }
        switch part {
        case .head:
            requestComplete = false
            headsRead += 1
        case .end: requestComplete = true
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        // While lingering, reads are this handler's to ask for (the application no longer consumes).
        if !lingering { context.read() }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head)
        where head.status == .contentTooLarge && !requestComplete && headsRead == answersWritten + 1:
            refusing = true
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where refusing:
            refusing = false
            answersWritten += 1
            let written = context.writeAndFlush(data)
            written.cascade(to: promise)
            written.assumeIsolated().whenComplete { _ in
                self.lingering = true
                context.close(mode: .output, promise: nil)
                context.read()
                context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) { self.close(context) }
            }
        case .end:
            answersWritten += 1
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    private func close(_ context: ChannelHandlerContext) {
        guard !closed else { return }
        closed = true
        context.close(promise: nil)
    }
}
