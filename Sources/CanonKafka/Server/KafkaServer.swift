import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The Kafka protocol listener of `canon serve --kafka-port`: a `Service` that accepts connections and
/// answers each request frame through a ``KafkaBroker``, in request order per connection (Kafka clients
/// expect that). A Produce whose appends are queued in the log does not hold up the connection: the
/// next Produce requests are read and taken while it waits for durability (up to a window of unanswered
/// requests and bytes), so a producer's pipelined requests share the log's group commits. Any other
/// request waits until the ones before it are answered.
public struct KafkaServer: Service {
    /// Where and how the listener runs.
    public struct Configuration: Sendable {
        public var host: String
        /// The port (0: any free port, reported to `onListening`).
        public var port: Int
        /// Largest request frame accepted (Kafka's `socket.request.max.bytes`); a longer size prefix
        /// closes the connection before anything is read. Default 100 MiB.
        public var maximumRequestBytes: Int

        /// Most requests of one connection taken and not yet answered. Default 16.
        public var maximumUnansweredRequests: Int
        /// Most bytes of request frames of one connection taken and not yet answered (one frame is
        /// always taken). Default 128 MiB.
        public var maximumUnansweredBytes: Int

        public init(
            host: String = "127.0.0.1", port: Int = 9092, maximumRequestBytes: Int = 100 * 1024 * 1024,
            maximumUnansweredRequests: Int = 16, maximumUnansweredBytes: Int = 128 << 20
        ) {
            self.host = host
            self.port = port
            self.maximumRequestBytes = maximumRequestBytes
            self.maximumUnansweredRequests = maximumUnansweredRequests
            self.maximumUnansweredBytes = maximumUnansweredBytes
        }
    }

    let broker: KafkaBroker
    let configuration: Configuration
    let logger: Logger
    let onListening: @Sendable (Int) -> Void

    /// A listener answering through `broker`; `onListening` gets the bound port once it listens.
    public init(
        broker: KafkaBroker, configuration: Configuration, logger: Logger = Logger(label: "canon.kafka"),
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.broker = broker
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let maximum = configuration.maximumRequestBytes
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maximumFrameBytes: maximum)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let bound = server.channel.localAddress?.port ?? configuration.port
        // A broker advertising port 0 advertises the port bound (tests listen on any free port).
        var advertising = self.broker
        if advertising.advertisedPort == 0 { advertising.advertisedPort = bound }
        let broker = advertising
        onListening(bound)
        logger.info("kafka: listening on \(configuration.host):\(bound)")
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { await broker.groups.expireSessionsUntilCancelled() }
                    for try await connection in connections {
                        group.addTask { await serve(connection, broker) }
                    }
                    // The listener closed (shutdown): connections end too, requests waiting in a group first.
                    await broker.groups.endWaits()
                    group.cancelAll()
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    /// Answers one connection's requests in order until it closes, a frame is refused, or the broker
    /// says to close. The reader takes requests (a Produce's appends are queued then); the writer sends
    /// their replies in the same order, awaiting those still pending.
    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, _ broker: KafkaBroker) async {
        let window = UnansweredWindow(requests: configuration.maximumUnansweredRequests, bytes: configuration.maximumUnansweredBytes)
        do {
            try await connection.executeThenClose { inbound, outbound in
                let (replies, taken) = AsyncStream.makeStream(of: (reply: KafkaPendingReply, size: Int).self)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    @Sendable func writeReplies() async throws {
                        for await (pending, size) in replies {
                            let reply: KafkaReply
                            switch pending {
                            case .ready(let ready): reply = ready
                            case .later(let work): reply = await work()
                            }
                            switch reply {
                            case .respond(let body):
                                var out = ByteBuffer()
                                out.reserveCapacity(4 + body.count)
                                out.writeInteger(Int32(body.count))
                                out.writeBytes(body)
                                try await outbound.write(out)
                            case .none:
                                break
                            case .close(let reason):
                                logger.notice("kafka: closing a connection: \(reason)")
                                return
                            }
                            await window.release(size)
                        }
                    }
                    group.addTask {
                        do {
                            try await writeReplies()
                        } catch {
                            await window.close()
                            throw error
                        }
                        await window.close()
                    }
                    for try await frame in inbound {
                        // Only Produce requests overlap: any other request is taken once every earlier one is
                        // answered, as Kafka takes a connection's requests (a Fetch sees the Produce before it).
                        if frame.getInteger(at: frame.readerIndex, as: Int16.self) != KafkaAPI.produce.rawValue {
                            await window.drain()
                        }
                        guard await window.admit(frame.readableBytes) else { break }
                        let pending = await broker.start(Array(buffer: frame))
                        taken.yield((pending, frame.readableBytes))
                        if case .ready(.close) = pending { break }
                    }
                    taken.finish()
                    try await group.waitForAll()
                }
            }
        } catch {
            logger.debug("kafka: connection ended: \(error)")
        }
    }
}

/// How many requests (and bytes of them) a connection has taken and not answered: the reader waits
/// for room before taking the next one (one is always admitted).
actor UnansweredWindow {
    private let maximumRequests: Int
    private let maximumBytes: Int
    private var requests = 0
    private var bytes = 0
    private var closed = false
    private var waiter: CheckedContinuation<Void, Never>?

    init(requests: Int, bytes: Int) {
        maximumRequests = max(1, requests)
        maximumBytes = bytes
    }

    /// Waits for room for a request of `size` bytes; false once the writer has stopped.
    func admit(_ size: Int) async -> Bool {
        while !closed && requests > 0 && (requests >= maximumRequests || bytes + size > maximumBytes) {
            await withCheckedContinuation { waiter = $0 }
        }
        guard !closed else { return false }
        requests += 1
        bytes += size
        return true
    }

    /// Waits until every request taken is answered (or the writer stopped).
    func drain() async {
        while !closed && requests > 0 { await withCheckedContinuation { waiter = $0 } }
    }

    /// A request was answered.
    func release(_ size: Int) {
        requests -= 1
        bytes -= size
        waiter?.resume()
        waiter = nil
    }

    /// The writer stopped: no more requests are admitted.
    func close() {
        closed = true
        waiter?.resume()
        waiter = nil
    }
}

/// Splits the byte stream into request frames: a 4-byte big-endian size, then that many bytes. A size
/// below 0 or above the maximum is an error, which closes the connection.
struct KafkaFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maximumFrameBytes: Int

    struct FrameTooLarge: Error, CustomStringConvertible {
        var size: Int32
        var maximum: Int
        var description: String { "a request frame of \(size) bytes (the most is \(maximum))" }
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard size >= 0, Int(size) <= maximumFrameBytes else { throw FrameTooLarge(size: size, maximum: maximumFrameBytes) }
        guard buffer.readableBytes >= 4 + Int(size) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(Self.wrapInboundOut(buffer.readSlice(length: Int(size))!))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        .needMoreData
    }
}
