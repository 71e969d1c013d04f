import CanonCore
import CanonLog
import CanonLogTestKit
import CanonRegistry
import Foundation

// The registry's request decoding on arbitrary bytes, and what the registry does with a decoded
// request: the first byte picks the subject and the operation, the rest is the HTTP body. The body is
// read as the server reads it (JSON, then SchemaRequest) and registered, looked up or checked against a
// real registry on an in-memory log. Every outcome is an answer or a RegistryError, never a crash, and:
// - a registration answers the same ID and version when repeated, looks up to that ID, and the ID
//   reads back as the registered text;
// - a lookup or check that succeeds names a schema the registry holds.
// The registry starts over every 256 inputs so that memory stays flat.

/// Carries a result out of the task the fuzzer waits for.
// @unchecked Sendable: written by the task before it signals the semaphore, read after the wait.
final class Outcome: @unchecked Sendable {
    var failure: String?
}

/// The registry being fuzzed and its log.
// @unchecked Sendable: the fuzzer calls one input at a time and waits for each.
final class Harness: @unchecked Sendable {
    var engine: LogEngine?
    var registry: Registry?
    var inputs = 0

    func current() async throws -> Registry {
        if inputs % 256 == 0 || registry == nil {
            await engine?.shutdown()
            let engine = try LogEngine(path: "/fuzz", fileSystem: FaultInjectingFileSystem())
            self.engine = engine
            registry = try await Registry(store: try await LogRegistryStore(log: engine))
        }
        inputs += 1
        return registry!
    }
}

let harness = Harness()

func run(_ bytes: [UInt8]) async -> String? {
    guard let selector = bytes.first else { return nil }
    let subject = "s\(selector & 3)"
    let normalize = selector & 4 != 0
    guard let json = try? JSONReader.parse(bytes: Array(bytes.dropFirst())) else { return nil }
    let request: SchemaRequest
    do {
        request = try SchemaRequest(json: json)
    } catch {
        return nil  // a RegistryError: the server answers it with its code
    }
    let registry: Registry
    do { registry = try await harness.current() } catch { return "the harness could not start: \(error)" }
    switch (selector >> 3) & 3 {
    case 0, 1:
        guard
            let registered = try? await registry.register(
                subject: subject, schema: request.schema, schemaType: request.schemaType, references: request.references,
                normalize: normalize, id: request.id, version: request.version)
        else { return nil }
        guard
            let again = try? await registry.register(
                subject: subject, schema: request.schema, schemaType: request.schemaType, references: request.references,
                normalize: normalize, id: request.id, version: request.version), again.id == registered.id,
            again.version == registered.version
        else { return "registering twice did not answer id \(registered.id) version \(registered.version)" }
        guard
            let found = try? await registry.lookup(
                subject: subject, schema: request.schema, schemaType: request.schemaType, references: request.references,
                normalize: normalize), found.id == registered.id
        else { return "a registered schema (id \(registered.id)) does not look up to its id" }
        guard let stored = try? await registry.schema(id: registered.id), stored.schema == registered.schema else {
            return "id \(registered.id) does not read back as the registered text"
        }
    case 2:
        if let found = try? await registry.lookup(
            subject: subject, schema: request.schema, schemaType: request.schemaType, references: request.references, normalize: normalize),
            (try? await registry.schema(id: found.id)) == nil
        {
            return "a lookup answered id \(found.id), which the registry does not hold"
        }
    default:
        _ = try? await registry.checkCompatibility(
            subject: subject, version: nil, schema: request.schema, schemaType: request.schemaType, references: request.references)
    }
    return nil
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRegistryRequest(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task {
        outcome.failure = await run(bytes)
        done.signal()
    }
    done.wait()
    if let failure = outcome.failure { fatalError(failure) }
    return 0
}
