import CanonLog
import CanonTestSupport
import Foundation
import Testing

/// Process crashes: `canon log append` is killed with SIGKILL at random moments; every offset it
/// printed (it prints only once a record is durable) must read back intact afterwards, and
/// `canon log verify` must pass.
@Suite struct LogCrashTests {
    @Test func everyPrintedOffsetSurvivesKillNine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("canon-crash-\(UUID().uuidString)").path
        #expect(try CLITests.canon("log", "create-topic", dir, "events", "--partitions", "2", "--config", "segment.bytes=4096").status == 0)
        var rng = SplitMix64(state: 77)
        var confirmed: [(partition: Int, offset: Int64, key: String, value: String)] = []
        var serial = 0
        for round in 0..<50 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLITests.executable)
            process.arguments = ["log", "append", dir, "events", "--batch", String(1 + rng.below(8))]
            let stdin = Pipe(), stdout = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Feed records until the process is killed (writes to a dead pipe fail quietly).
            var sent: [(key: String, value: String)] = []
            let lines = (0..<400).map { _ -> (String, String) in
                serial += 1
                return ("k\(serial % 13)", "value-\(serial)-" + String(repeating: "x", count: rng.below(60)))
            }
            signal(SIGPIPE, SIG_IGN)
            let writer = stdin.fileHandleForWriting
            for line in lines {
                guard (try? writer.write(contentsOf: Data("\(line.0)\t\(line.1)\n".utf8))) != nil else { break }
                sent.append(line)
            }
            // Kill at a random moment: during start-up, recovery, or appends (each batch is fsynced).
            usleep(UInt32(1000 * rng.below(250)))
            kill(process.processIdentifier, SIGKILL)
            try? writer.close()
            process.waitUntilExit()
            let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            // Printed lines are records in input order; a torn last line is not a confirmation.
            let printed = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(printed.count <= sent.count, "round \(round)")
            for (line, record) in zip(printed, sent) {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let p = Int(parts[0]), let o = Int64(parts[1]) else { continue }
                confirmed.append((p, o, record.key, record.value))
            }
        }
        // Every confirmed record reads back intact.
        for partition in 0..<2 {
            let read = try CLITests.canon("log", "read", dir, "events", "--partition", String(partition))
            #expect(read.status == 0)
            var byOffset: [Int64: (String, String)] = [:]
            for line in read.stdoutText.split(separator: "\n") {
                let f = line.split(separator: "\t", omittingEmptySubsequences: false)
                byOffset[Int64(f[0])!] = (String(f[1]), String(f[2]))
            }
            for c in confirmed where c.partition == partition {
                #expect(byOffset[c.offset]?.0 == c.key && byOffset[c.offset]?.1 == c.value, "offset \(c.offset) of partition \(partition)")
            }
            // Offsets are dense.
            #expect(byOffset.keys.sorted() == Array(0..<Int64(byOffset.count)))
        }
        #expect(confirmed.count > 100)
        let verify = try CLITests.canon("log", "verify", dir)
        #expect(verify.status == 0, "\(verify.stdoutText) \(verify.stderr)")
    }

    /// `canon log compact` killed with SIGKILL at random moments of its run (opening, reading, writing the
    /// cleaned segments, swapping them in; every fifth round runs to its end and times a whole run), 20
    /// rounds with more records written between them: after each, `canon log verify` passes, offsets
    /// only go up, and every key's last value is at its offset.
    @Test func compactionSurvivesKillNine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("canon-compact-crash-\(UUID().uuidString)").path
        let created = try CLITests.canon(
            "log", "create-topic", dir, "users", "--config", "cleanup.policy=compact", "--config", "segment.bytes=2048")
        #expect(created.status == 0, "\(created.stderr)")
        var rng = SplitMix64(state: 91)
        var last: [String: (offset: Int64, value: String)] = [:]
        var written: [Int64: (key: String, value: String)] = [:]
        var serial = 0
        var cleanings = 0, interrupted = 0, wholeRun = 100_000
        // CANON_COMPACTION_CRASH_ROUNDS runs it longer (scripts/compaction-crash).
        let rounds = Int(ProcessInfo.processInfo.environment["CANON_COMPACTION_CRASH_ROUNDS"] ?? "") ?? 20
        for round in 0..<rounds {
            let lines = (0..<150).map { _ -> (String, String) in
                serial += 1
                return ("k\(rng.below(17))", "value-\(serial)-" + String(repeating: "x", count: rng.below(40)))
            }
            let appended = try CLITests.canon(
                "log", "append", dir, "users", "--batch", "5", input: lines.map { "\($0.0)\t\($0.1)\n" }.joined())
            #expect(appended.status == 0, "round \(round): \(appended.stderr)")
            // The last record of a key is the one at its highest offset (batches in flight may be stored
            // in another order than they were read).
            for (line, record) in zip(appended.stdoutText.split(separator: "\n"), lines) {
                let offset = Int64(line.split(separator: " ")[1])!
                written[offset] = record
                if offset > last[record.0]?.offset ?? -1 { last[record.0] = (offset, record.1) }
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLITests.executable)
            process.arguments = ["log", "compact", dir, "users"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let started = ContinuousClock.now
            try process.run()
            if round % 5 == 0 {
                // Every fifth round runs to its end: how long a whole run takes sets where the kills land.
                process.waitUntilExit()
                wholeRun = max(1, Int((ContinuousClock.now - started) / .microseconds(1)))
            } else {
                usleep(UInt32(rng.below(wholeRun + wholeRun / 4)))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            if process.terminationReason == .exit { cleanings += 1 }

            // Opening recovers (finishing or dropping an interrupted swap, rebuilding indexes), then verify
            // checks what it left.
            let read = try CLITests.canon("log", "read", dir, "users")
            if read.stderr.contains("compaction") { interrupted += 1 }
            let verify = try CLITests.canon("log", "verify", dir)
            #expect(verify.status == 0, "round \(round): \(verify.stdoutText) \(verify.stderr)")
            #expect(read.status == 0, "round \(round): \(read.stderr)")
            var offsets: [Int64] = []
            var byOffset: [Int64: (String, String)] = [:]
            for line in read.stdoutText.split(separator: "\n") {
                let f = line.split(separator: "\t", omittingEmptySubsequences: false)
                offsets.append(Int64(f[0])!)
                byOffset[Int64(f[0])!] = (String(f[1]), String(f[2]))
            }
            #expect(offsets == offsets.sorted() && Set(offsets).count == offsets.count, "round \(round): offsets go up")
            #expect(!read.stderr.contains("read-only"), "round \(round): \(read.stderr)")
            for (offset, row) in byOffset where written[offset].map({ $0 != row }) ?? true {
                Issue.record("round \(round): offset \(offset) holds \(row), written \(String(describing: written[offset]))")
            }
            for (key, record) in last {
                #expect(
                    byOffset[record.offset]?.0 == key && byOffset[record.offset]?.1 == record.value,
                    "round \(round): \(key) at \(record.offset): \(String(describing: byOffset[record.offset])); near: \(offsets.filter { abs($0 - record.offset) < 5 })"
                )
            }
        }
        // Some cleanings finished before their kill, so the log did shrink at some point.
        let final = try CLITests.canon("log", "compact", dir, "users")
        #expect(final.status == 0, "\(final.stderr)")
        let read = try CLITests.canon("log", "read", dir, "users")
        #expect(read.stdoutText.split(separator: "\n").count < serial, "\(cleanings) cleanings finished before their kill")
        print(
            "compactionSurvivesKillNine: \(rounds) rounds, \(cleanings) cleanings finished, \(interrupted) opens finished or dropped a swap"
        )
    }

    @Test func verifyNamesDamageAndRepairCutsItOff() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("canon-repair-\(UUID().uuidString)").path
        #expect(try CLITests.canon("log", "create-topic", dir, "t", "--config", "segment.bytes=300").status == 0)
        // One record per invocation (batches in flight may be stored in any order), so that offset n
        // holds value-(n+1).
        for n in 1...30 {
            #expect(try CLITests.canon("log", "append", dir, "t", input: "k\tvalue-\(n)\n").status == 0)
        }
        let segment = "\(dir)/t-0/00000000000000000003.log"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[40] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        let verify = try CLITests.canon("log", "verify", dir)
        #expect(verify.status == 1)
        #expect(verify.stderr.contains("00000000000000000003.log at byte 0: CRC-32C mismatch"))
        // Reading through the damage fails naming segment and position; the damaged batch is never served.
        let damaged = try CLITests.canon("log", "read", dir, "t")
        #expect(damaged.status == 1)
        #expect(damaged.stderr.contains("00000000000000000003.log at byte 0"), "\(damaged.stderr)")
        #expect(!damaged.stdoutText.contains("value-4\n"))
        // The dry run lists the loss and changes nothing.
        let dryRun = try CLITests.canon("log", "repair", dir)
        #expect(dryRun.status == 0)
        #expect(dryRun.stdoutText.contains("cut \(segment) at byte 0"), "\(dryRun.stdoutText)")
        #expect(dryRun.stdoutText.contains("records 3 to 29 are lost"), "\(dryRun.stdoutText)")
        #expect(dryRun.stdoutText.contains("dry run: nothing was changed"))
        #expect(try CLITests.canon("log", "verify", dir).status == 1)
        let repair = try CLITests.canon("log", "repair", "--apply", dir)
        #expect(repair.status == 0)
        #expect(repair.stdoutText.contains("repaired: "))
        #expect(try CLITests.canon("log", "verify", dir).status == 0)
        let read = try CLITests.canon("log", "read", dir, "t")
        #expect(read.stdoutText.split(separator: "\n").count == 3)  // the first segment's records
        // No offset is reused: the next record comes after the 30 acknowledged ones.
        #expect(try CLITests.canon("log", "append", dir, "t", input: "k\tafter\n").stdoutText == "0 30\n")
    }

    @Test func appendPrintsInInputOrderReadFindsTimestampsAndCommandsStopCleanly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("canon-cli-\(UUID().uuidString)").path
        #expect(try CLITests.canon("log", "create-topic", dir, "t", "--partitions", "3").status == 0)
        let input = (0..<50).map { "key\($0)\tvalue\($0)\n" }.joined()
        let appended = try CLITests.canon("log", "append", dir, "t", "--batch", "4", input: input)
        #expect(appended.status == 0, "\(appended.stderr)")
        let lines = appended.stdoutText.split(separator: "\n")
        #expect(lines.count == 50)
        // In input order: each record's partition is murmur2 of its key.
        for (i, line) in lines.enumerated() {
            #expect(Int(line.split(separator: " ")[0]) == KafkaPartitioner.partition(key: Array("key\(i)".utf8), partitions: 3))
        }
        // The engine stopped cleanly: marker written, nothing to scan on the next open.
        #expect(FileManager.default.fileExists(atPath: "\(dir)/.clean-shutdown"))
        // --from-time: records were stamped with the wall clock; a time after all of them finds nothing,
        // a time before all of them finds the first record.
        let future = try CLITests.canon("log", "read", dir, "t", "--from-time", "\(Int64(Date().timeIntervalSince1970 * 1000) + 60_000)")
        #expect(future.status == 0 && future.stdoutText.isEmpty)
        let past = try CLITests.canon("log", "read", dir, "t", "--from-time", "0", "--max", "1")
        #expect(past.stdoutText.hasPrefix("0\t"))
        let describe = try CLITests.canon("log", "describe", dir)
        #expect(describe.stdoutText.contains("topic t partitions 3"))
        #expect(describe.stdoutText.contains("flush.ms=1000"))
        #expect(try CLITests.canon("log", "verify", dir).stdoutText.hasPrefix("ok: "))
    }
}
