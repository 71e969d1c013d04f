import CanonCore
import CanonLog
import CanonLogTestKit
import CanonRegistry
import Foundation

// The registry's request decoding on arbitrary bytes, and what the registry does with a decoded
// request. The first byte picks the subject (bits 0-1: s0 to s3), `normalize` (bit 2), the operation
// (bits 3-4: register, register, lookup, compatibility check) and IMPORT mode for the subject (bit 5);
// the rest is the HTTP body. The body is read as the server reads it (JSON, then SchemaRequest) and sent
// to a fresh registry on an in-memory log that already holds two subjects to refer to (s1: a record
// com.example.Money, s2: "string"), so that every input is reproducible on its own. Every outcome is an
// answer or a RegistryError, never a crash, and:
// - a registration answers the same ID and version when repeated, looks up to that ID, and the ID
//   reads back as the registered text (unless a reference says "latest" (-1): a repeat may then
//   resolve it to the version just registered);
// - a lookup that succeeds names a schema the registry holds.

/// Carries a result out of the task the fuzzer waits for.
// @unchecked Sendable: written by the task before it signals the semaphore, read after the wait.
final class Outcome: @unchecked Sendable {
    var failure: String?
}

let money =
    #"{"type":"record","name":"Money","namespace":"com.example","fields":[{"name":"units","type":"long"},{"name":"currency","type":"string"}]}"#

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
    let engine: LogEngine
    let registry: Registry
    do {
        engine = try LogEngine(path: "/fuzz", fileSystem: FaultInjectingFileSystem())
        registry = try await Registry(store: try await LogRegistryStore(log: engine))
        _ = try await registry.register(subject: "s1", schema: money)
        _ = try await registry.register(subject: "s2", schema: #""string""#)
    } catch {
        return "the harness could not start: \(error)"
    }
    let failure = await exercise(registry, request, subject: subject, normalize: normalize, selector: selector)
    await engine.shutdown()
    return failure
}

func exercise(_ registry: Registry, _ request: SchemaRequest, subject: String, normalize: Bool, selector: UInt8) async -> String? {
    if selector & 32 != 0 { _ = try? await registry.setMode(.import, subject: subject, force: true) }
    let repeatable = !request.references.contains { $0.version == -1 }
    switch (selector >> 3) & 3 {
    case 0, 1:
        guard
            let registered = try? await registry.register(
                subject: subject, schema: request.schema, schemaType: request.schemaType, references: request.references,
                normalize: normalize, id: request.id, version: request.version)
        else { return nil }
        guard let stored = try? await registry.schema(id: registered.id), stored.schema == registered.schema else {
            return "id \(registered.id) does not read back as the registered text"
        }
        guard repeatable else { return nil }
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
