import ArgumentParser
import CanonCore
import CanonLog
import CanonRegistry
import Foundation

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Work offline on a data directory of the log (refused while another process holds its lock).",
        subcommands: [CreateTopic.self, Append.self, Read.self, Describe.self, Compact.self, Verify.self, Repair.self]
    )
}

/// Opens a data directory; errors exit 1 with the log's message.
private func openDirectory(_ path: String) throws(CLIFailure) -> LogDirectory {
    let progress = ProgressLine()
    let directory: LogDirectory
    do {
        defer { progress.finish() }
        directory = try LogDirectory(path: path, fileSystem: PosixFileSystem(), progress: progress.update)
    } catch {
        throw CLIFailure.failed("\(error)")
    }
    for note in directory.recoveryNotes { Output.error("recovery: \(note)") }
    return directory
}

/// Opens a data directory through the log engine (appends share fdatasyncs, cleanings run off its I/O
/// thread); errors exit 1 with the log's message.
private func openEngine(_ path: String) throws(CLIFailure) -> LogEngine {
    do {
        let engine = try LogEngine(path: path, fileSystem: PosixFileSystem())
        for note in engine.recoveryNotes { Output.error("recovery: \(note)") }
        return engine
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
                try dir.close()
            }
        }
    }

    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append key<TAB>value lines from standard input; print 'partition offset' per record once durable.",
            discussion: """
                A key or value of '-' or empty is null. Lines are appended in batches of --batch records through the \
                log engine: up to 16 batches are in flight and share fdatasyncs (group commit); results are printed \
                in input order as soon as each batch is durable. Example: printf 'k1\\tv1\\n' | canon log append DIR orders
                """)
        @Argument(help: "The data directory.") var directory: String
        @Argument(help: "The topic.") var topic: String
        @Option(help: "Records per batch.") var batch: Int = 1

        func validate() throws {
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        }

        func run() async throws {
            let engine = try openEngine(directory)
            // Up to 16 batches in flight (they share fdatasyncs); the printer answers in input order, each as
            // soon as its batch is durable, while lines are still being read.
            let slots = Slots(16)
            let (stream, continuation) = AsyncStream.makeStream(of: Task<[(partition: Int, offset: Int64)], any Error>.self)
            let failure = Locked<String?>(nil)  // the first failure: reading stops at it
            let printer = Task {
                for await task in stream {
                    do {
                        let placed = try await task.value
                        Output.write(Array(placed.map { "\($0.partition) \($0.offset)\n" }.joined().utf8))
                    } catch {
                        failure.withValue { $0 = $0 ?? "\(error)" }
                    }
                    await slots.release()
                }
            }
            var pending: [LogRecord] = []
            func submit() async {
                guard !pending.isEmpty else { return }
                await slots.acquire()
                let records = pending, topic = topic
                continuation.yield(Task { try await engine.append(topic: topic, records: records) })
                pending = []
            }
            func field(_ s: Substring) -> [UInt8]? { s.isEmpty || s == "-" ? nil : Array(s.utf8) }
            while failure.value == nil, let line = Swift.readLine(strippingNewline: true) {
                let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
                pending.append(
                    LogRecord(
                        key: field(parts[0]), value: parts.count > 1 ? field(parts[1]) : nil, timestamp: LogDirectory.currentTimeMillis()))
                if pending.count >= batch { await submit() }
            }
            if failure.value == nil { await submit() }
            continuation.finish()
            await printer.value
            await engine.shutdown()
            if let message = failure.value { throw CLIFailure.failed(message) }
        }
    }

    /// A counting semaphore for tasks: `acquire` suspends (it never blocks a thread) while none is free.
    actor Slots {
        private var free: Int
        private var waiting: [CheckedContinuation<Void, Never>] = []

        init(_ count: Int) { free = count }

        func acquire() async {
            if free > 0 {
                free -= 1
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        func release() {
            if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
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
        @Option(name: .customLong("from-time"), help: "Start at the first record with a timestamp at or after this (ms since the epoch).")
        var fromTime: Int64?
        @Option(help: "At most this many records.") var max: Int = Int.max

        func run() throws {
            let dir = try openDirectory(directory)
            defer { try? dir.close() }
            var offset = from
            if let fromTime {
                guard
                    let found = try logging({ () throws(LogError) in
                        try dir.offset(topic: topic, partition: partition, forTimestamp: fromTime)
                    })
                else { return }
                offset = Swift.max(offset, found)
            }
            var printed = 0
            func text(_ b: [UInt8]?) -> String { b.map { String(decoding: $0, as: UTF8.self) } ?? "-" }
            while printed < max {
                let batches = try logging { () throws(LogError) in try dir.read(topic: topic, partition: partition, from: offset) }
                if batches.isEmpty { break }
                for batch in batches {
                    for (at, record) in batch.recordsWithOffsets where at >= offset && printed < max {
                        Output.line("\(at)\t\(text(record.key))\t\(text(record.value))")
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
            defer { try? dir.close() }
            for name in dir.topics.keys.sorted() {
                let topic = dir.topics[name]!
                Output.line("topic \(name) partitions \(topic.partitions)")
                let partitions = try logging { () throws(LogError) in try dir.partitions(of: name) }
                for (p, info) in partitions.enumerated() {
                    let state: String
                    switch info.state {
                    case .writable: state = "writable"
                    case .readOnly(let reason): state = "read-only (\(reason))"
                    }
                    Output.line("  partition \(p) next-offset \(info.nextOffset) \(state)")
                }
                let starts = partitions.map(\.startOffset)
                if starts.contains(where: { $0 > 0 }) { Output.line("  start-offsets \(starts.map(String.init).joined(separator: " "))") }
                for (k, v) in topic.configuration.settings.sorted(by: { $0.key < $1.key }) { Output.line("  \(k)=\(v)") }
            }
        }
    }

    struct Compact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clean a compacted topic's partitions now (cleanup.policy=compact), whatever their dirty share.",
            discussion: """
                Keeps the last record of each key in the sealed segments (the active one is never cleaned) and                 prints per partition: segments and bytes before and after, records and tombstones removed.                 `canon serve` cleans by itself once a partition's min.cleanable.dirty.ratio is reached.
                """)
        @Argument(help: "The data directory.") var directory: String
        @Argument(help: "The topic.") var topic: String
        @Option(help: "Only this partition.") var partition: Int?

        func run() async throws {
            let engine = try openEngine(directory)
            var failure: String?
            do throws(LogError) {
                let count = try await engine.topic(topic)?.partitions ?? 0
                guard count > 0 else { throw LogError(.unknownTopic, "no topic '\(topic)'") }
                for p in partition.map({ [$0] }) ?? Array(0..<count) {
                    guard let r = try await engine.compact(topic: topic, partition: p) else {
                        Output.line("partition \(p): nothing to clean")
                        continue
                    }
                    Output.line(
                        "partition \(p): segments \(r.segmentsBefore) -> \(r.segmentsAfter), bytes \(r.bytesBefore) -> \(r.bytesAfter), "
                            + "records removed \(r.recordsRemoved), tombstones removed \(r.tombstonesRemoved), cleaned through offset \(r.cleanedThrough)"
                    )
                }
            } catch {
                failure = "\(error)"
            }
            await engine.shutdown()
            if let failure { throw CLIFailure.failed(failure) }
        }
    }

    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List what repairing damaged partitions would drop (byte ranges, offsets); with --apply, do it.",
            discussion: """
                A damaged partition is cut back to its last good batch and later segments are removed \
                (Kafka's choice: intact batches after the damage go too, and are listed). No offset is \
                reused: the next record gets an offset above every one given out before. The registry's \
                schema IDs are kept apart from its events, so lost registrations never have their IDs \
                issued again.
                """)
        @Argument(help: "The data directory.") var directory: String
        @Flag(help: "Carry out the repair (without it, nothing is changed).") var apply = false

        func run() throws {
            let checking = ProgressLine()
            let plans = try logging { () throws(LogError) in
                defer { checking.finish() }
                return try LogDirectory.repairPlans(path: directory, fileSystem: PosixFileSystem(), progress: checking.update)
            }
            if plans.isEmpty {
                Output.line("nothing to repair")
                return
            }
            for plan in plans {
                for line in plan.lines { Output.line(line) }
                if plan.partition == "\(LogRegistryStore.topic)-0" && plan.losesAcknowledgedRecords {
                    Output.line(
                        "  these are registry events: the schemas, versions and settings they recorded are lost; their schema IDs stay retired (never issued again)"
                    )
                }
            }
            guard apply else {
                Output.line("dry run: nothing was changed; run again with --apply to repair")
                return
            }
            let dir: LogDirectory
            let progress = ProgressLine()
            do {
                defer { progress.finish() }
                dir = try LogDirectory(path: directory, fileSystem: PosixFileSystem(), repair: true, progress: progress.update)
            } catch {
                throw CLIFailure.failed("\(error)")
            }
            for note in dir.recoveryNotes { Output.line(note) }
            try logging { () throws(LogError) in try dir.close() }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every batch's CRC, offsets and the index files without changing anything; exit 1 naming the first problem.")
        @Argument(help: "The data directory.") var directory: String

        func run() throws {
            let progress = ProgressLine()
            let result = try logging { () throws(LogError) in
                defer { progress.finish() }
                return try LogDirectory.verify(path: directory, fileSystem: PosixFileSystem(), progress: progress.update)
            }
            if let first = result.problems.first {
                for more in result.problems.dropFirst() { Output.error(more) }
                throw CLIFailure.failed(first)
            }
            Output.line("ok: \(result.batches) batches")
        }
    }
}
