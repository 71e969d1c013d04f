import CanonTestSupport
import Foundation
import Testing

/// Long offline commands show progress on a terminal and nothing when piped.
@Suite struct ProgressTests {
    /// Runs `canon` under a pseudo-terminal (util-linux `script`): what a user at a terminal sees.
    static func canonOnATerminal(_ arguments: [String]) throws -> ProcessResult {
        let command = ([CLITests.executable] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            .joined(separator: " ")
        return try runProcess("/usr/bin/script", ["-qec", command, "/dev/null"], input: [], currentDirectory: TestData.packageRoot)
    }

    static func dataDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("canon-progress-\(UUID().uuidString)").path
        #expect(try CLITests.canon("log", "create-topic", dir, "orders", "--partitions", "3").status == 0)
        return dir
    }

    @Test func verifyAndRepairShowProgressOnATerminalAndClearIt() throws {
        let dir = try Self.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for command in ["verify", "repair"] {
            let run = try Self.canonOnATerminal(["log", command, dir])
            #expect(run.status == 0, "\(run.stdoutText)")
            let stage = command == "verify" ? "verifying" : "checking"
            #expect(run.stdoutText.contains("\r\(stage) 0/3 partitions (orders-0)\u{1B}[K"), "\(run.stdoutText.debugDescription)")
            // The line is cleared before the command's own output.
            #expect(run.stdoutText.contains("\r\u{1B}[K" + (command == "verify" ? "ok: " : "nothing to repair")))
        }
    }

    @Test func recoveryNotesArePrintedAfterTheProgressLineIsCleared() throws {
        let dir = try Self.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // No clean-shutdown marker and an unreadable checkpoint: opening says so.
        try FileManager.default.removeItem(atPath: dir + "/.clean-shutdown")
        try "damaged".write(toFile: dir + "/orders-1/recovery-checkpoint", atomically: true, encoding: .utf8)
        let run = try Self.canonOnATerminal(["log", "describe", dir])
        #expect(run.status == 0, "\(run.stdoutText)")
        #expect(
            run.stdoutText.contains("\r\u{1B}[Kcanon: recovery: ignored an unreadable recovery checkpoint"),
            "\(run.stdoutText.debugDescription)")
    }

    @Test func pipedOutputCarriesNoProgress() throws {
        let dir = try Self.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for command in ["verify", "repair"] {
            let run = try CLITests.canon("log", command, dir)
            #expect(run.status == 0)
            #expect(!run.stdoutText.contains("\r") && !run.stderr.contains("\r") && !run.stderr.contains("partitions"))
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("canon-progress-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let piped = try CLITests.canon("generate", "--output-dir", out, CLITests.orderPlaced)
        #expect(piped.status == 0 && piped.stderr.isEmpty)
        let terminal = try Self.canonOnATerminal(["generate", "--output-dir", out, CLITests.orderPlaced])
        #expect(
            terminal.stdoutText.contains("\rreading 0/1 files (\(CLITests.orderPlaced))\u{1B}[K"), "\(terminal.stdoutText.debugDescription)"
        )
    }
}
