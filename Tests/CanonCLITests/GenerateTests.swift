import CanonTestSupport
import Foundation
import Testing

/// `canon generate` and `canon-codegen` (what the build plugin runs) call the same generator: both write
/// the golden reference for the golden schemas, and both fail on broken input with `file: error: ...`.
@Suite struct GenerateTests {
    static let schemaDir = "Tests/CanonCodegenTests/Schemas"
    static let goldenDir = TestData.packageRoot.appendingPathComponent("Tests/CanonGeneratedTests/Generated")

    static var codegen: String {
        URL(fileURLWithPath: CLITests.executable).deletingLastPathComponent().appendingPathComponent("canon-codegen").path
    }

    static func schemaPaths() throws -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: TestData.packageRoot.appendingPathComponent(schemaDir).path)!
        var paths: [String] = []
        while let p = enumerator.nextObject() as? String {
            if p.hasSuffix(".avsc") || p.hasSuffix(".schema.json") { paths.append("\(schemaDir)/\(p)") }
        }
        return paths.sorted()
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("canon-generate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func expectGolden(_ out: URL) throws {
        let golden = try FileManager.default.contentsOfDirectory(atPath: Self.goldenDir.path).filter { $0.hasSuffix(".swift") }.sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == golden)
        for name in golden {
            #expect(
                FileManager.default.contents(atPath: out.appendingPathComponent(name).path)
                    == FileManager.default.contents(atPath: Self.goldenDir.appendingPathComponent(name).path), "\(name)")
        }
    }

    @Test func canonGenerateWritesTheGoldenOutput() throws {
        let out = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let arguments =
            ["generate", "--output-dir", out.path, "--root", Self.schemaDir, "--config", "\(Self.schemaDir)/canon-codegen.json"]
            + (try Self.schemaPaths())
        let r = try runProcess(CLITests.executable, arguments, currentDirectory: TestData.packageRoot)
        #expect(r.status == 0, "\(r.stderr)")
        try expectGolden(out)
    }

    @Test func canonCodegenWritesTheGoldenOutputAndSkipsUnchangedFiles() throws {
        let out = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let arguments =
            ["--output-dir", out.path, "--root", Self.schemaDir, "--config", "\(Self.schemaDir)/canon-codegen.json"]
            + (try Self.schemaPaths())
        #expect(try runProcess(Self.codegen, arguments, currentDirectory: TestData.packageRoot).status == 0)
        try expectGolden(out)
        let file = out.appendingPathComponent("everything.avsc.swift").path
        let before = try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.05)
        #expect(try runProcess(Self.codegen, arguments, currentDirectory: TestData.packageRoot).status == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date == before)
    }

    @Test func brokenInputFailsWithTheFileAndTheProblem() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try #"{"type":"record","name":"A","fields":[{"name":"b","type":"Missing"}]}"#.write(
            to: dir.appendingPathComponent("a.avsc"), atomically: true, encoding: .utf8)
        try #"{"topics": [{"topic": "t"}]}"#.write(to: dir.appendingPathComponent("canon-codegen.json"), atomically: true, encoding: .utf8)
        for (tool, prefix) in [(Self.codegen, [String]()), (CLITests.executable, ["generate"])] {
            let r = try runProcess(
                tool,
                prefix + [
                    "--output-dir", dir.appendingPathComponent("out").path, "--root", dir.path, "--config",
                    dir.appendingPathComponent("canon-codegen.json").path, dir.appendingPathComponent("a.avsc").path,
                ])
            #expect(r.status == 1)
            #expect(r.stderr.contains("a.avsc: error: ") && r.stderr.contains("Missing"), "\(r.stderr)")
            #expect(r.stderr.contains("canon-codegen.json: error: ") && r.stderr.contains("needs 'key'"), "\(r.stderr)")
        }
        let usage = try runProcess(Self.codegen, ["a.avsc"])
        #expect(usage.status == 2 && usage.stderr.contains("--output-dir is required"))
    }
}
