import CanonCore
import CanonLog
import CanonLogTestKit
import CanonRegistry
import CanonTestSupport
import Foundation
import Testing

/// An expensive compatibility check neither stalls the registry nor runs unbounded.
@Suite struct CompatibilityCostTests {
    static func record(_ name: String, alias: String? = nil) -> String {
        let aliases = alias.map { #","aliases":["\#($0)"]"# } ?? ""
        return #"{"type":"record","name":"\#(name)"\#(aliases),"fields":[{"name":"v","type":"long"}]}"#
    }

    static func union(_ branches: [String]) -> String { "[" + branches.joined(separator: ",") + "]" }

    static func registry(_ configuration: Registry.Configuration) async throws -> (LogEngine, Registry) {
        let engine = try LogEngine(path: "/data", fileSystem: FaultInjectingFileSystem())
        return (engine, try await Registry(store: try await LogRegistryStore(log: engine), configuration: configuration))
    }

    @Test func aReversedTenThousandBranchUnionRegistersUnderFull() async throws {
        var configuration = Registry.Configuration()
        configuration.maximumSchemaBytes = 1 << 20
        let (engine, registry) = try await Self.registry(configuration)
        let names = (0..<10_000).map { "R\($0)" }
        try await registry.setCompatibility(.full, subject: "u")
        #expect(try await registry.register(subject: "u", schema: Self.union(names.map { Self.record($0) })).version == 1)
        #expect(try await registry.register(subject: "u", schema: Self.union(names.reversed().map { Self.record($0) })).version == 2)
        await engine.shutdown()
    }

    @Test func aCheckPastTheBudgetIsRefusedWith42201AndStoresNothing() async throws {
        var configuration = Registry.Configuration()
        configuration.compatibilityBudget = 100_000
        let (engine, registry) = try await Self.registry(configuration)
        _ = try await registry.register(subject: "u", schema: Self.union((0..<1_000).map { Self.record("Old\($0)") }))
        let renamed = Self.union((0..<1_000).reversed().map { Self.record("New\($0)", alias: "Old\($0)") })
        let error = await #expect(throws: RegistryError.self) { try await registry.register(subject: "u", schema: renamed) }
        #expect(error?.code == 42201)
        #expect(error?.message.contains("needs more than 100000 steps") == true, "\(error?.message ?? "")")
        #expect(try await registry.versions(of: "u") == [1])
        let checked = await #expect(throws: RegistryError.self) {
            try await registry.checkCompatibility(subject: "u", version: nil, schema: renamed)
        }
        #expect(checked?.code == 42201)
        await engine.shutdown()
    }

    /// Reads go on while a long check runs: each read below completes while the check is still
    /// running (it started before the first read and had not finished after it).
    @Test func readsAreAnsweredWhileALongCheckRuns() async throws {
        let running = Locked<(started: Bool, finished: Bool)>((false, false))
        var configuration = Registry.Configuration()
        configuration.compatibilityBudget = Int.max
        configuration.onCompatibilityCheck = { finishedAfter in
            running.withValue { if finishedAfter == nil { $0.started = true } else { $0.finished = true } }
        }
        let (engine, registry) = try await Self.registry(configuration)
        let first = try await registry.register(subject: "u", schema: Self.union((0..<1_500).map { Self.record("Old\($0)") }))
        running.withValue { $0 = (false, false) }
        // Renamed branches: every one is tried pairwise, about a million trials.
        let renamed = Self.union((0..<1_500).reversed().map { Self.record("New\($0)", alias: "Old\($0)") })
        let registration = Task { try await registry.register(subject: "u", schema: renamed) }
        while !running.withValue({ $0.started }) { try await Task.sleep(nanoseconds: 1_000_000) }
        var answeredDuringTheCheck = 0
        for _ in 0..<5 {
            #expect(try await registry.schema(id: first.id).schema.contains("Old0"))
            #expect(await registry.storeFailure == nil)
            if !running.withValue({ $0.finished }) { answeredDuringTheCheck += 1 }
        }
        #expect(answeredDuringTheCheck == 5, "reads waited for the compatibility check")
        #expect(try await registration.value.version == 2)
        #expect(running.withValue { $0.finished })
        await engine.shutdown()
    }
}
