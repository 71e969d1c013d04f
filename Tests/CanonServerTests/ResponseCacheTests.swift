import CanonCore
import CanonLog
import CanonLogTestKit
import CanonRegistry
import Testing

@testable import CanonServer

/// The response cache: answers kept while the registry is unchanged, within its byte budget.
@Suite struct ResponseCacheTests {
    static let schema = #"{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}"#

    @Test func answersAreKeptUntilTheRegistryChangesAndCountedOnceWhenReplaced() async throws {
        let engine = try LogEngine(path: "/d", fileSystem: FaultInjectingFileSystem())
        let registry = try await Registry(store: try await LogRegistryStore(log: engine))
        let cache = ResponseCache(changes: registry.changes, budget: 1 << 20)
        let computed = Counter()
        func ask(_ key: String, _ text: String) async throws {
            _ = try await cache.answer(key) {
                computed.add()
                return .string(text)
            }
        }
        try await ask("k", "first")
        try await ask("k", "first")
        #expect(computed.value == 1)
        let one = cache.storedBytes
        #expect(one == "k".utf8.count + JSONValue.string("first").jsonText.utf8.count)
        // A change makes the kept answer stale: computed again, and its bytes replace the old ones.
        _ = try await registry.register(subject: "s", schema: Self.schema)
        try await ask("k", "second, longer")
        #expect(computed.value == 2)
        #expect(cache.storedBytes == "k".utf8.count + JSONValue.string("second, longer").jsonText.utf8.count)
        await engine.shutdown()
    }

    @Test func anAnswerLargerThanTheBudgetIsNotKeptAndZeroKeepsNothing() async throws {
        let engine = try LogEngine(path: "/d", fileSystem: FaultInjectingFileSystem())
        let registry = try await Registry(store: try await LogRegistryStore(log: engine))
        for (budget, text, kept) in [(16, String(repeating: "x", count: 100), false), (0, "a", false), (1 << 10, "a", true)] {
            let cache = ResponseCache(changes: registry.changes, budget: budget)
            let computed = Counter()
            for _ in 0..<3 {
                _ = try await cache.answer("key") {
                    computed.add()
                    return .string(text)
                }
            }
            #expect(computed.value == (kept ? 1 : 3))
            #expect((cache.storedBytes > 0) == kept)
        }
        await engine.shutdown()
    }
}

/// Counts calls from any task.
final class Counter: Sendable {
    private let count = Locked(0)
    func add() { count.withValue { $0 += 1 } }
    var value: Int { count.value }
}
