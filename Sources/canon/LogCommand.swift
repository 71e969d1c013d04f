import ArgumentParser
import CanonLog
import Foundation

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Work offline on a data directory of the log (refused while another process holds its lock).",
        subcommands: [CreateTopic.self, Append.self, Read.self, Describe.self, Verify.self, Repair.self]
    )
}

/// Opens a data directory; errors exit 1 with the log's message.
private func openDirectory(_ path: String) throws(CLIFailure) -> LogDirectory {
    do {
        return try LogDirectory(path: path, fileSystem: PosixFileSystem())
    } catch {
        throw CLIFailure.failed("\(error)")
    }
}

private func logging<R>(_ body: () throws(LogError) -> R) throws(CLIFailure) -> R {
    do {
        return try body()
    } catch {
        throw CLIFailure.failed("\(error)")
    }
}

extension LogCommand {
    struct CreateTopic: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-topic", abstract: "Create a topic.",
            discussion: "Example: canon log create-topic /var/lib/canon orders --partitions 4 --config retention.ms=-1")
        @Argument(help: "The data directory.") var directory: String
        @Argument(help: "The topic name (1-249 of [A-Za-z0-9._-]).") var topic: String
        @Option(help: "Number of partitions.") var partitions: Int = 1
        @Option(name: .customLong("config"), help: ArgumentHelp("A topic setting, name=value (repeatable).", valueName: "name=value"))
        var settings: [String] = []

        func run() throws {
            var map: [String: String] = [:]
            for setting in settings {
                guard let eq = setting.firstIndex(of: "=") else { throw ValidationError("--config takes name=value, not '\(setting)'") }
                map[String(setting[..<eq])] = String(setting[setting.index(after: eq)...])
            }
            let dir = try openDirectory(directory)
            try logging { () throws(LogError) in
                try dir.createTopic(topic, partitions: partitions, configuration: try TopicConfiguration(map))
            }
        }
    }

    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append key<TAB>value lines from standard input; print 'partition offset' per record once durable.",
            discussion: "A key or value of '-' or empty is null. Example: printf 'k1\\tv1\\n' | canon log append DIR orders")
        @Argument(help: "The data directory.") var directory: String
        @Argument(help: "The topic.") var topic: String
        @Option(help: "Records per batch.") var batch: Int = 1

        func validate() throws {
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        }

        func run() throws {
            let dir = try openDirectory(directory)
            var pending: [LogRecord] = []
            func flush() throws(CLIFailure) {
                guard !pending.isEmpty else { return }
                let placed = try logging { () throws(LogError) in try dir.append(topic: topic, records: pending) }
                Output.write(Array(placed.map { "\($0.partition) \($0.offset)\n" }.joined().utf8))
                pending = []
            }
            func field(_ s: Substring) -> [UInt8]? { s.isEmpty || s == "-" ? nil : Array(s.utf8) }
            while let line = Swift.readLine(strippingNewline: true) {
                let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
                let now = Int64((Double(clock_gettime_nsec()) / 1_000_000).rounded(.down))
                pending.append(LogRecord(key: field(parts[0]), value: parts.count > 1 ? field(parts[1]) : nil, timestamp: now))
                if pending.count >= batch { try flush() }
            }
            try flush()
        }
    }

    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print records as offset<TAB>key<TAB>value ('-' for null).",
            discussion: "Example: canon log read DIR orders --partition 0 --from 10 --max 5")
        @Argument(help: "The data directory.") var directory: String
        @Argument(help: "The topic.") var topic: String
        @Option(help: "The partition.") var partition: Int = 0
        @Option(help: "The first offset.") var from: Int64 = 0
        @Option(help: "At most this many records.") var max: Int = Int.max

        func run() throws {
            let dir = try openDirectory(directory)
            var offset = from
            var printed = 0
            func text(_ b: [UInt8]?) -> String { b.map { String(decoding: $0, as: UTF8.self) } ?? "-" }
            while printed < max {
                let batches = try logging { () throws(LogError) in try dir.read(topic: topic, partition: partition, from: offset) }
                if batches.isEmpty { break }
                for batch in batches {
                    for (i, record) in batch.records.enumerated() where batch.baseOffset + Int64(i) >= offset && printed < max {
                        Output.line("\(batch.baseOffset + Int64(i))\t\(text(record.key))\t\(text(record.value))")
                        printed += 1
                    }
                    offset = batch.lastOffset + 1
                }
            }
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print topics, partitions, next offsets, states and settings.")
        @Argument(help: "The data directory.") var directory: String

        func run() throws {
            let dir = try openDirectory(directory)
            for name in dir.topics.keys.sorted() {
                let topic = dir.topics[name]!
                Output.line("topic \(name) partitions \(topic.partitions)")
                for (p, info) in try logging({ () throws(LogError) in try dir.partitions(of: name) }).enumerated() {
                    let state: String
                    switch info.state {
                    case .writable: state = "writable"
                    case .readOnly(let reason): state = "read-only (\(reason))"
                    }
                    Output.line("  partition \(p) next-offset \(info.nextOffset) \(state)")
                }
                for (k, v) in topic.configuration.settings.sorted(by: { $0.key < $1.key }) { Output.line("  \(k)=\(v)") }
            }
        }
    }

    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cut damaged partitions back to their last good batch (records after the damage are lost); print what was done.")
        @Argument(help: "The data directory.") var directory: String

        func run() throws {
            let dir: LogDirectory
            do {
                dir = try LogDirectory(path: directory, fileSystem: PosixFileSystem(), repair: true)
            } catch {
                throw CLIFailure.failed("\(error)")
            }
            if dir.recoveryNotes.isEmpty { Output.line("nothing to repair") }
            for note in dir.recoveryNotes { Output.line(note) }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every batch's CRC and offsets without changing anything; exit 1 naming the first problem.")
        @Argument(help: "The data directory.") var directory: String

        func run() throws {
            let fs = PosixFileSystem()
            let lock = try logging { () throws(LogError) in try fs.lockExclusively("\(directory)/.lock") }
            defer { fs.close(lock) }
            var batches = 0
            for entry in try logging({ () throws(LogError) in try fs.contentsOfDirectory(directory) }) where entry.contains("-") {
                let partitionDir = "\(directory)/\(entry)"
                guard let segments = try? fs.contentsOfDirectory(partitionDir) else { continue }
                var expected: Int64?
                for segment in segments where segment.hasSuffix(".log") {
                    let path = "\(partitionDir)/\(segment)"
                    let bytes = try logging { () throws(LogError) in try fs.readAll(path) }
                    let scan = SegmentScan(bytes, expectedBaseOffset: expected ?? Int64(segment.dropLast(4)))
                    batches += scan.entries.count
                    switch scan.ending {
                    case .clean: break
                    case .tornTail(let position, let reason), .corruption(let position, let reason, _):
                        throw CLIFailure.failed("\(path) at byte \(position): \(reason)")
                    }
                    expected = scan.nextOffset ?? expected
                }
            }
            Output.line("ok: \(batches) batches")
        }
    }
}

/// Wall-clock time in nanoseconds since the epoch.
private func clock_gettime_nsec() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
