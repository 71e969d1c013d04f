import CanonCore
import CanonLog
import CanonLogTestKit
import CanonRegistry
import CanonTestSupport
import Testing

/// No schema ID is ever issued twice, whatever happens to `_schemas`: damaged events stop the
/// registry, lost ones (after a repair or with the topic gone) are noticed against the ID high-water
/// mark kept apart from them, and IDs at or below the mark are never issued again.
@Suite struct IDInvariantTests {
    static func schema(_ n: Int) -> String { record("S\(n)", #"{"name":"f","type":"long"}"#) }

    /// A registry with ten subjects (IDs 1 to 10), shut down cleanly, and where each `_schemas` batch starts.
    static func tenRegistrations() async throws -> (FaultInjectingFileSystem, positions: [Int]) {
        let h = try await Harness()
        for n in 1...10 {
            #expect(try await h.registry.register(subject: "s\(n)", schema: Self.schema(n)).id == Int32(n))
        }
        await h.engine.shutdown()
        // Batch positions, from the segment itself.
        let bytes = h.fs.contents("/data/_schemas-0/00000000000000000000.log")!
        let scan = SegmentScan(bytes)
        return (h.fs, scan.entries.map(\.position))
    }

    static func truncate(_ fs: FaultInjectingFileSystem, to size: Int) throws {
        let h = try fs.open("/data/_schemas-0/00000000000000000000.log", create: false)
        defer { fs.close(h) }
        try fs.truncate(h, to: size)
        try fs.sync(h)
    }

    @Test func damagedEventsStopTheRegistryNamingTheDamage() async throws {
        let (fs, positions) = try await Self.tenRegistrations()
        try Self.truncate(fs, to: positions[6] + 10)
        let engine = try LogEngine(path: "/data", fileSystem: fs)
        let error = await #expect(throws: RegistryError.self) { _ = try await LogRegistryStore(log: engine) }
        #expect(error?.code == 50001)
        #expect(error?.message.contains("event log (_schemas) is damaged") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("acknowledged records 6 to 9") == true, "\(error?.message ?? "")")
        await engine.shutdown()
    }

    @Test func afterARepairLostIDsAreNeverIssuedAgain() async throws {
        let (fs, positions) = try await Self.tenRegistrations()
        try Self.truncate(fs, to: positions[6] + 10)
        let repaired = try LogDirectory(path: "/data", fileSystem: fs, repair: true)
        #expect(repaired.recoveryNotes.contains { $0.contains("records 6 to 9 are lost") })
        try repaired.close()

        // The events end at ID 6, the mark says 10: the registry refuses to start.
        var engine = try LogEngine(path: "/data", fileSystem: fs)
        let refused = await #expect(throws: RegistryError.self) {
            _ = try await Registry(store: try await LogRegistryStore(log: engine))
        }
        #expect(refused?.message.contains("end at schema ID 6, but IDs up to 10 were issued") == true, "\(refused?.message ?? "")")
        await engine.shutdown()

        // Told to accept the loss, it serves what is left and issues IDs above the mark only.
        engine = try LogEngine(path: "/data", fileSystem: fs)
        var configuration = Registry.Configuration()
        configuration.acceptLostRegistrations = true
        let registry = try await Registry(store: try await LogRegistryStore(log: engine), configuration: configuration)
        #expect(try await registry.schema(id: 6).schema.contains("S6"))
        await #expect(throws: RegistryError.self) { _ = try await registry.schema(id: 7) }
        let next = try await registry.register(subject: "new", schema: Self.schema(99))
        #expect(next.id == 11)
        // A lost schema registered again gets a new ID too, never its old one.
        #expect(try await registry.register(subject: "s8", schema: Self.schema(8)).id == 12)
        // IMPORT cannot give a lost ID to content either.
        try await registry.setMode(.import, subject: nil, force: true)
        let imported = await #expect(throws: RegistryError.self) {
            try await registry.register(subject: "other", schema: Self.schema(77), id: 9)
        }
        #expect(imported?.code == 42205)
        await engine.shutdown()
    }

    @Test func withTheWholeTopicGoneTheMarkStillHolds() async throws {
        let (fs, _) = try await Self.tenRegistrations()
        for file in try fs.contentsOfDirectory("/data/_schemas-0") { try fs.remove("/data/_schemas-0/\(file)") }
        try fs.removeDirectory("/data/_schemas-0")
        try fs.remove("/data/_schemas.topic")
        var configuration = Registry.Configuration()
        let engine = try LogEngine(path: "/data", fileSystem: fs)
        await #expect(throws: RegistryError.self) { _ = try await Registry(store: try await LogRegistryStore(log: engine)) }
        configuration.acceptLostRegistrations = true
        let registry = try await Registry(store: try await LogRegistryStore(log: engine), configuration: configuration)
        #expect(try await registry.register(subject: "s1", schema: Self.schema(1)).id == 11)
        await engine.shutdown()
    }

    @Test func theTopIDTakenAnswersAClearRefusalNotA500() async throws {
        let h = try await Harness()
        try await h.registry.setMode(.import, subject: nil, force: true)
        #expect(try await h.registry.register(subject: "top", schema: Self.schema(1), id: Int32.max).id == Int32.max)
        try await h.registry.setMode(.readWrite, subject: nil)
        let error = await #expect(throws: RegistryError.self) { try await h.registry.register(subject: "next", schema: Self.schema(2)) }
        #expect(error?.code == 42205)
        #expect(error?.message.contains("no schema ID is left") == true)
        // Nothing was stored, and the registry still answers.
        #expect(try await h.registry.schema(id: Int32.max).schema.contains("S1"))
        await h.engine.shutdown()
    }
}
