import CanonLog
import CanonTestSupport
import Foundation
import Testing

/// A data directory with far more partitions than the process may open files restarts: partitions are
/// opened and parked within the open-file budget. CI runs 2,500 topics under `ulimit -n 256`;
/// `scripts/soak` runs the full 10,000 under `ulimit -n 1024` (`CANON_SOAK=1`).
@Suite struct DescriptorLimitTests {
    static let soak = ProcessInfo.processInfo.environment["CANON_SOAK"] == "1"
    static let topics = soak ? 10_000 : 2_500
    static let descriptors = soak ? 1024 : 256

    @Test func manyMoreTopicsThanDescriptorsRestart() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("canon-fds-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let dir = try LogDirectory(path: path, fileSystem: PosixFileSystem(), limits: LogDirectory.Limits(maximumOpenFiles: 600))
            for t in 0..<Self.topics {
                try dir.createTopic("topic-\(t)", partitions: 1)
                if t % 500 == 0 {
                    _ = try dir.append(topic: "topic-\(t)", records: [LogRecord(key: nil, value: Array("v\(t)".utf8), timestamp: 1)])
                }
            }
            try dir.close()
        }
        // Unclean too: without the clean-shutdown marker every partition is recovered (scanned).
        for clean in [true, false] {
            if !clean { try? FileManager.default.removeItem(atPath: path + "/.clean-shutdown") }
            let run = try runProcess(
                "/bin/sh", ["-c", "ulimit -n \(Self.descriptors) && exec \"$0\" log describe \"$1\"", CLITests.executable, path])
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stdoutText.split(separator: "\n")
            #expect(lines.filter { $0.hasPrefix("topic ") }.count == Self.topics)
            #expect(lines.contains("topic topic-2000 partitions 1"))
            #expect(!run.stdoutText.contains("read-only"))
        }
        let read = try runProcess(
            "/bin/sh", ["-c", "ulimit -n \(Self.descriptors) && exec \"$0\" log read \"$1\" topic-2000", CLITests.executable, path])
        #expect(read.stdoutText.contains("v2000"), "\(read.stderr)")
    }
}
