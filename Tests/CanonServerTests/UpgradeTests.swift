import CanonLog
import CanonRegistry
import CanonTestSupport
import Foundation
import Testing

/// A data directory written by an earlier release opens after every format change; one written by a
/// newer release is refused clearly.
@Suite struct UpgradeTests {
    /// A copy of the checked-in directory written by `canon serve` in format `canon-log 1` (see its README).
    static func formatOneDirectory() throws -> String {
        let source = TestData.packageRoot.appendingPathComponent("Tests/CanonServerTests/Fixtures/canon-log-1").path
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("canon-upgrade-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        try? FileManager.default.removeItem(atPath: copy + "/README.md")
        return copy
    }

    @Test func aFormatOneDirectoryOpensWithEverySchemaRecordAndSetting() async throws {
        let path = try Self.formatOneDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        for round in 0..<2 {
            let engine = try LogEngine(path: path, fileSystem: PosixFileSystem())
            let registry = try await Registry(store: try await LogRegistryStore(log: engine))
            #expect(await registry.subjects() == (round == 0 ? [] : ["extra"]) + ["invoice-value", "money", "orders-value"])
            #expect(try await registry.versions(of: "orders-value") == [1, 2])
            #expect(try await registry.schema(id: 2).schema.contains("\"note\""))
            #expect(try await registry.schema(id: 4).references.first?.subject == "money")
            #expect(try await registry.compatibility(subject: "orders-value") == .full)
            #expect(await registry.highestID == 4 + Int32(round))
            let orders = try await engine.topic("orders")
            #expect(orders?.partitions == 3 && orders?.configuration.settings["value.schema.validation"] == "full")
            var counts: [Int] = []
            for p in 0..<3 {
                counts.append(try await engine.read(topic: "orders", partition: p, from: 0, maxBytes: 1 << 20).flatMap(\.records).count)
                #expect(try await engine.partitions(of: "orders")[p].state == .writable)
            }
            #expect(counts == [16 + round, 23, 21])
            // New records continue the old offsets; new schemas get the next ID.
            #expect(
                try await engine.append(topic: "orders", partition: 0, records: [LogRecord(key: nil, value: nil, timestamp: 1)])[0].offset
                    == Int64(16 + round))
            if round == 0 {
                #expect(try await registry.register(subject: "extra", schema: #"{"type":"enum","name":"E","symbols":["A"]}"#).id == 5)
            }
            await engine.shutdown()
            let version = try String(contentsOfFile: path + "/format-version", encoding: .utf8)
            #expect(version == LogDirectory.formatVersion + "\n")
        }
        #expect(try LogDirectory.verify(path: path, fileSystem: PosixFileSystem()).problems == [])
    }

    @Test func aDirectoryOfANewerFormatIsRefusedNamingIt() throws {
        let path = try Self.formatOneDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "canon-log 99\n".write(toFile: path + "/format-version", atomically: true, encoding: .utf8)
        let error = #expect(throws: LogError.self) { _ = try LogEngine(path: path, fileSystem: PosixFileSystem()) }
        #expect(error?.message.contains("written by a newer release (format 'canon-log 99')") == true, "\(error?.message ?? "")")
        #expect(error?.location.file == path + "/format-version")
        // Nothing was changed.
        #expect(try String(contentsOfFile: path + "/format-version", encoding: .utf8) == "canon-log 99\n")
    }
}
