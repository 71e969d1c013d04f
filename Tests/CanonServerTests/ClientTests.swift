import CanonAvro
import CanonLog
import CanonLogTestKit
import CanonRegistry
import CanonRegistryClient
import CanonServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `RegistryClient` against a live server (a real socket): typed calls, errors, and the
/// `AvroSchemaSource` a serializer uses, with its caches.
@Suite struct ClientTests {
    static let order = #"{"type":"record","name":"Order","namespace":"com.example","fields":[{"name":"id","type":"long"}]}"#

    @Test func theClientRegistersLooksUpAndServesWriterSchemas() async throws {
        let engine = try LogEngine(path: "/data", fileSystem: FaultInjectingFileSystem())
        let registry = try await Registry(store: try await LogRegistryStore(log: engine))
        let app = RegistryServer.application(registry: registry, configuration: .init(port: 0))
        try await app.test(.live) { client in
            let url = URL(string: "http://127.0.0.1:\(client.port!)")!
            let registering = RegistryClient(url: url, autoRegister: true)
            let id = try await registering.schemaID(subject: "orders-value", schema: Self.order)
            #expect(id == 1)
            #expect(try await registering.subjects() == ["orders-value"])
            #expect(try await registering.versions(subject: "orders-value") == [1])
            // A client that must not register looks the schema up; an unknown one is an error with the code.
            let lookingUp = RegistryClient(url: url, autoRegister: false)
            #expect(try await lookingUp.schemaID(subject: "orders-value", schema: Self.order) == 1)
            await #expect(throws: RegistryClientError.self) {
                _ = try await lookingUp.schemaID(subject: "orders-value", schema: #"{"type":"record","name":"Other","fields":[]}"#)
            }
            do {
                _ = try await lookingUp.schemaText(id: 42)
                Issue.record("no error for an unknown ID")
            } catch let error as RegistryClientError {
                #expect(error.status == 404 && error.code == 40403)
            }
            let writer = try await lookingUp.writerSchema(id: 1)
            #expect(writer.canonicalForm == (try AvroSchema(parsing: Self.order)).canonicalForm)
            // Cached: the registry is not asked again (a stopped registry would fail otherwise).
            #expect(try await lookingUp.writerSchema(id: 1).canonicalForm == writer.canonicalForm)
        }
        await engine.shutdown()
    }

    @Test func aFixedSourceServesTestsAndOfflineUse() async throws {
        let source = try FixedAvroSchemaSource([7: ("orders-value", Self.order)])
        // Formatting does not matter: schemas are matched by their Parsing Canonical Form.
        #expect(try await source.schemaID(subject: "orders-value", schema: Self.order.replacingOccurrences(of: ",", with: ", ")) == 7)
        #expect(try await source.writerSchema(id: 7).canonicalForm == (try AvroSchema(parsing: Self.order)).canonicalForm)
        await #expect(throws: AvroError.self) { _ = try await source.writerSchema(id: 8) }
        await #expect(throws: AvroError.self) { _ = try await source.schemaID(subject: "other", schema: Self.order) }
    }
}
