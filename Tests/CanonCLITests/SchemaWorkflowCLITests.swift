import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// `canon registry check|register|pull` against a running `canon serve`, with their exit codes, and
/// confluent-kafka's view of what `register` registered.
@Suite(.serialized) struct SchemaWorkflowCLITests {
    static let address = #"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}"#
    static let order = """
        {"type": "record", "name": "Order", "namespace": "com.acme",
         "fields": [
          {"name": "id", "type": "long"},
          {"name": "ship", "type": "Address"}
         ]}
        """
    static let config = #"{"topics":[{"topic":"orders","key":"string","value":"com.acme.Order"}]}"#

    /// A folder holding a config and two schema files, one referencing the other.
    static func repository(order: String = order) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("canon-repo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("schemas"), withIntermediateDirectories: true)
        try config.write(to: folder.appendingPathComponent("canon-codegen.json"), atomically: true, encoding: .utf8)
        try address.write(to: folder.appendingPathComponent("schemas/Address.avsc"), atomically: true, encoding: .utf8)
        try order.write(to: folder.appendingPathComponent("schemas/Order.avsc"), atomically: true, encoding: .utf8)
        return folder
    }

    static func canon(_ folder: URL, _ arguments: String...) throws -> ProcessResult {
        try runProcess(
            CLITests.executable, ["registry"] + arguments + ["--config", folder.appendingPathComponent("canon-codegen.json").path])
    }

    @Test func checkRegisterAndPullAgainstARunningRegistry() throws {
        let server = try RegistryInteropTests.Server(dataDirectory: RegistryInteropTests.freshDirectory())
        defer { server.stop() }
        let repo = try Self.repository()

        var result = try Self.canon(repo, "check", "--url", server.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("schemas/Order.avsc") && result.stdoutText.contains("new subject"))

        // A dry run prints and changes nothing.
        result = try Self.canon(repo, "register", "--url", server.url)
        #expect(result.status == 0)
        #expect(result.stdoutText.contains("would register orders-value from schemas/Order.avsc"))
        #expect(try runProcess(CLITests.executable, ["registry", "subjects", "--url", server.url]).stdoutText == "")

        result = try Self.canon(repo, "register", "--apply", "--url", server.url)
        #expect(result.status == 0, "\(result.stderr)")
        let registered = result.stdoutText.split(separator: "\n").filter { $0.hasPrefix("registered ") }.map { $0.split(separator: " ") }
        #expect(registered.map { $0[1] } == ["orders-key", "com.acme.Address", "orders-value"])  // referenced subjects first
        let orderID = try #require(registered.last.map { $0[5].filter(\.isNumber) })
        result = try Self.canon(repo, "register", "--apply", "--url", server.url)
        #expect(result.status == 0 && result.stdoutText.contains("0 schema(s) registered, 3 unchanged"))

        // confluent-kafka's AvroSerializer with use.latest.version finds what register registered,
        // references included, and its deserializer reads the record back.
        let peer = try runProcess(
            python3(),
            [
                TestData.interopDirectory.appendingPathComponent("latest_version_peer.py").path, server.url, "orders",
                #"{"id": 7, "ship": {"city": "Lyon"}}"#, orderID,
            ])
        #expect(peer.status == 0, "\(peer.stderr)")
        #expect(peer.stdoutText.contains("framed id \(orderID)\n"))
        #expect(peer.stdoutText.contains("references 1") && peer.stdoutText.hasSuffix("ok\n"))

        // An incompatible change: exit 1, the field named; register refuses and registers nothing.
        let incompatible = try Self.repository(
            order: Self.order.replacingOccurrences(
                of: #"{"name": "id", "type": "long"},"#, with: #"{"name": "id", "type": "long"}, {"name": "qty", "type": "int"},"#))
        result = try Self.canon(incompatible, "check", "--url", server.url, "--github", "--path-prefix", "Sources/App")
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("incompatible with version 1 (BACKWARD)"))
        #expect(result.stdoutText.contains("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1 (field 'qty')"))
        #expect(result.stdoutText.contains("::error file=Sources/App/schemas/Order.avsc,line=3,title=orders-value%3A incompatible::"))
        result = try Self.canon(incompatible, "check", "--url", server.url, "--format", "json")
        #expect(result.status == 1)
        #expect(try JSONReader.parse(result.stdoutText)["result"] == .string("incompatible"))
        result = try Self.canon(incompatible, "register", "--apply", "--url", server.url)
        #expect(result.status == 1 && result.stderr.contains("nothing registered"))
        #expect(try runProcess(CLITests.executable, ["registry", "versions", "orders-value", "--url", server.url]).stdoutText == "1\n")

        // A registry that cannot be reached: exit 2, said plainly.
        result = try Self.canon(repo, "check", "--url", "http://127.0.0.1:1")
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("the registry at http://127.0.0.1:1/ cannot be reached")
                || result.stderr.contains("the registry at http://127.0.0.1:1 cannot be reached"))

        // pull brings the subjects into an empty folder, and what it wrote checks as unchanged.
        let fresh = FileManager.default.temporaryDirectory.appendingPathComponent("canon-pull-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
        result = try runProcess(
            CLITests.executable,
            ["registry", "pull", "orders-value", "--url", server.url, "--config", fresh.appendingPathComponent("canon-codegen.json").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("wrote schemas/com.acme.Order.avsc (orders-value)"))
        #expect(result.stdoutText.contains("wrote schemas/com.acme.Address.avsc (com.acme.Address)"))
        result = try Self.canon(fresh, "check", "--url", server.url)
        #expect(result.status == 0)
        #expect(result.stdoutText.components(separatedBy: "unchanged").count - 1 == 3)
        for folder in [repo, incompatible, fresh] { try? FileManager.default.removeItem(at: folder) }
    }

    @Test func mappingProblemsExitOneAndAMissingConfigExitsTwo() throws {
        let repo = try Self.repository()
        try #"{"topics":[{"topic":"orders","key":"string","value":"Nope"}]}"#.write(
            to: repo.appendingPathComponent("canon-codegen.json"), atomically: true, encoding: .utf8)
        var result = try Self.canon(repo, "check", "--url", "http://127.0.0.1:1")
        #expect(result.status == 1)
        #expect(result.stderr.contains("canon-codegen.json: error: /topics/0/value: no schema defines 'Nope'"))
        try FileManager.default.removeItem(at: repo.appendingPathComponent("canon-codegen.json"))
        result = try Self.canon(repo, "check")
        #expect(result.status == 2)
        #expect(
            result.stderr.contains(
                "canon: no \(repo.appendingPathComponent("canon-codegen.json").path): the schema workflow reads its mapping"))
        try? FileManager.default.removeItem(at: repo)
    }
}
