import ArgumentParser
import CanonCore
import CanonKafka
import CanonLog
import CanonRegistry
import CanonServer
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `canon serve`: the registry over an embedded log data directory, speaking Confluent's REST API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the schema registry (Confluent Schema Registry REST API) on an embedded data directory.",
        discussion: """
            No authentication: bind to loopback (the default) or put a proxy in front. SIGINT/SIGTERM stop it \
            gracefully. Example: canon serve --data-dir /var/lib/canon --port 8081
            """)
    @Option(name: .customLong("data-dir"), help: "The data directory (created when missing).") var dataDirectory = "canon-data"
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on.") var port = 8081
    @Option(
        name: .customLong("kafka-port"),
        help: "Also listen for Kafka clients on this port (off when not given; see the README for the APIs answered).")
    var kafkaPort: Int?
    @Option(
        name: .customLong("kafka-advertised-host"),
        help: "The host Kafka clients are told to connect to (default: --host).") var kafkaAdvertisedHost: String?
    @Option(name: .customLong("max-body-bytes"), help: "Larger request bodies get 413.") var maximumBodyBytes = 1 << 20
    @Option(
        name: .customLong("response-cache-bytes"),
        help: "Bytes of answers kept for repeated reads (schemas by ID, lookups); 0 turns the cache off.") var responseCacheBytes = 32 << 20
    @Option(
        name: .customLong("default-validation"), help: "Schema validation of produced records for topics that set none: none, id or full.")
    var defaultValidation = "none"
    @Flag(
        name: .customLong("accept-lost-registrations"),
        help:
            "Start even when the registry's events end below its schema ID high-water mark (registrations were lost, e.g. after `canon log repair`); IDs up to the mark are still never issued again."
    ) var acceptLostRegistrations = false
    @Option(
        name: .customLong("max-response-bytes"),
        help: "Most bytes one read of a topic's records answers (decoded JSON counted); past it the answer stops early and says so.")
    var maximumResponseBytes = 16 << 20
    @Option(
        name: .customLong("compatibility-budget"),
        help: "The most pairs of types one compatibility check may compare; a check needing more is refused with 42201.")
    var compatibilityBudget = SchemaCompatibilityChecker.defaultBudget
    @Flag(
        name: .customLong("json-assert-formats"),
        help: "Check JSON Schema `format` (date-time, email, uuid, ...) in `full` validation instead of treating it as an annotation.")
    var jsonAssertFormats = false
    @Option(
        name: .customLong("allowed-host"),
        help:
            "Another Host name requests may carry (repeatable; against DNS rebinding, other names get 403). On loopback the server's own names are allowed too; elsewhere only these."
    )
    var allowedHosts: [String] = []
    @Option(
        name: .customLong("cors-origin"),
        help: "A web origin (https://ui.example.com) whose pages may write and read answers (repeatable); other origins' writes get 403.")
    var corsOrigins: [String] = []
    @Option(
        name: .customLong("idle-timeout"),
        help: "Seconds a connection may take to send a request head or more of a body, or stay idle between requests, before it is closed.")
    var idleTimeout = 30
    @Option(name: .customLong("log-level"), help: "trace, debug (every request, with its id), info, notice, warning, error.") var logLevel =
        "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
        guard maximumResponseBytes >= 1024 else {
            throw ValidationError("--max-response-bytes is at least 1024, not \(maximumResponseBytes)")
        }
        guard responseCacheBytes >= 0 else { throw ValidationError("--response-cache-bytes is 0 (off) or more, not \(responseCacheBytes)") }
        guard maximumBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive, not \(maximumBodyBytes)") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be positive, not \(idleTimeout)") }
        guard (0...65535).contains(port) else { throw ValidationError("--port is 0-65535, not \(port)") }
        if let kafkaPort, !(0...65535).contains(kafkaPort) { throw ValidationError("--kafka-port is 0-65535, not \(kafkaPort)") }
        guard compatibilityBudget > 0 else { throw ValidationError("--compatibility-budget must be positive, not \(compatibilityBudget)") }
        for origin in corsOrigins where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) || origin.hasSuffix("/") {
            throw ValidationError("--cors-origin is scheme://host[:port] with no path, not '\(origin)'")
        }
        guard TopicValidationPolicy.Level(rawValue: defaultValidation) != nil else {
            throw ValidationError("--default-validation is none, id or full, not '\(defaultValidation)'")
        }
    }

    func run() async throws {
        let level = TopicValidationPolicy.Level(rawValue: defaultValidation) ?? .none
        var logger = Logger(label: "canon")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let metrics = ServerMetrics()
        let fileSystem = TimedFileSystem(PosixFileSystem()) { metrics.fdatasync.recordNanoseconds($0) }
        let catalog = SchemaCatalog()
        let validator = TimedValidator(RegistryRecordValidator(catalog: catalog, defaultLevel: level), metrics: metrics)
        let engine: LogEngine
        // As servers do, use the whole descriptor limit the system allows; the log takes three quarters.
        let descriptors = PosixFileSystem.raiseDescriptorLimit()
        do { engine = try LogEngine(path: dataDirectory, fileSystem: fileSystem, validator: validator) } catch {
            throw CLIFailure.failed("\(error)")
        }
        for note in engine.recoveryNotes { logger.notice("recovery: \(note)") }
        var registryConfiguration = Registry.Configuration()
        registryConfiguration.onStoreAppend = { metrics.storeAppend.recordNanoseconds($0) }
        registryConfiguration.acceptLostRegistrations = acceptLostRegistrations
        registryConfiguration.compatibilityBudget = compatibilityBudget
        registryConfiguration.formats = SchemaFormats.builtIn(assertingJSONFormats: jsonAssertFormats)
        let registry: Registry
        do {
            registry = try await Registry(
                store: try await LogRegistryStore(log: engine), configuration: registryConfiguration, catalog: catalog)
        } catch {
            await engine.shutdown()
            throw CLIFailure.failed("\(error)")
        }
        var serverConfiguration = ServerConfiguration(
            host: host, port: port, maximumBodyBytes: maximumBodyBytes, responseCacheBytes: responseCacheBytes,
            maximumResponseBytes: maximumResponseBytes)
        serverConfiguration.allowedHosts = ServerConfiguration.loopbackNames(host: host, extra: allowedHosts)
        serverConfiguration.corsOrigins = Set(corsOrigins.map(ServerConfiguration.normalized(origin:)))
        serverConfiguration.idleTimeoutSeconds = idleTimeout
        let app = RegistryServer.application(
            registry: registry, log: engine, configuration: serverConfiguration, metrics: metrics, logger: logger)
        Output.error("serving the registry on http://\(host):\(port) (data: \(dataDirectory))")
        if serverConfiguration.allowedHosts == nil {
            Output.error(
                "warning: listening on \(host) without TLS or authentication: anyone who reaches this address can read, register, delete and produce; bind to 127.0.0.1 or put an authenticating proxy in front"
            )
        }
        Output.error(
            "open-file limit \(descriptors): the log keeps up to \(engine.maximumOpenFiles) files open, opening partitions beyond on use")
        // The log first: the group stops services in reverse order, so requests stop before the log
        // closes, on SIGTERM/SIGINT and when the server fails (a port already taken) alike.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: LogEngineService(engine: engine)),
            .init(service: app, failureTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let kafkaPort {
            let advertised = kafkaAdvertisedHost ?? host
            var broker = KafkaBroker(log: engine, advertisedHost: advertised, advertisedPort: kafkaPort)
            broker.onAnswer = { api, codes in metrics.kafkaRequest(api: api, errorCodes: codes) }
            let kafka = KafkaServer(broker: broker, configuration: .init(host: host, port: kafkaPort), logger: logger)
            services.append(.init(service: kafka, failureTerminationBehavior: .gracefullyShutdownGroup))
            Output.error("serving Kafka clients on \(host):\(kafkaPort) (advertised as \(advertised):\(kafkaPort))")
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do { try await group.run() } catch { throw CLIFailure.failed("\(error)") }
    }
}
