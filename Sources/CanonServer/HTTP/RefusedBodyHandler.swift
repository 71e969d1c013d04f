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

    /// Whether the current request's body has been read to its end.
    private var requestComplete = true
    /// A 413 is being written for a request whose body is unread.
    private var refusing = false
    /// The answer is out: what comes is read and dropped until the close.
    private var lingering = false
    private var lingered = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if lingering {
            if case .body(let bytes) = part { lingered += bytes.readableBytes }
            if case .end = part {
                context.close(promise: nil)
            } else if lingered > Self.lingerBytes {
                context.close(promise: nil)
            } else {
                context.read()
            }
            return
        }
        switch part {
        case .head: requestComplete = false
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
        case .head(var head) where head.status == .contentTooLarge && !requestComplete:
            refusing = true
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where refusing:
            refusing = false
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            context.writeAndFlush(data).whenComplete { _ in
                let (handler, context) = bound.value
                handler.lingering = true
                context.close(mode: .output, promise: nil)
                context.read()
                loop.assumeIsolated().scheduleTask(in: Self.lingerTime) { context.close(promise: nil) }
            }
            promise?.succeed()
        default:
            context.write(data, promise: promise)
        }
    }
}
