import Foundation

/// The result of running a program.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: String
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs a program to completion with `input` on its standard input.
public func runProcess(_ executable: String, _ arguments: [String], input: [UInt8] = [], currentDirectory: URL? = nil) throws
    -> ProcessResult
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    // Write and read concurrently so that large outputs cannot dead-lock on full pipes.
    let writer = Thread {
        try? stdin.fileHandleForWriting.write(contentsOf: Data(input))
        try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let errorData = LockedData()
    let errReader = Thread { errorData.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
    errReader.start()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errorData.isSet { usleep(1000) }
    return ProcessResult(status: process.terminationStatus, stdout: Array(out), stderr: String(decoding: errorData.value, as: UTF8.self))
}

extension TestData {
    /// `Tests/Interop`: the Python peer and the rich schemas of the interop tests.
    public static var interopDirectory: URL { packageRoot.appendingPathComponent("Tests/Interop") }
}

/// A failed run of the Python peer.
public struct PeerFailure: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }
}

/// Runs `avro_peer.py` (fastavro) with `arguments`: see ``pythonPeer(_:_:input:)``.
public func avroPeer(_ arguments: [String], input: [UInt8] = [], script name: String = "avro_peer.py") throws -> String {
    try pythonPeer(name, arguments, input: input)
}

/// Runs the Python peer `name` in `Tests/Interop` with `arguments`; its standard output, or an error
/// with its standard error and the end of its output.
public func pythonPeer(_ name: String, _ arguments: [String], input: [UInt8] = []) throws -> String {
    let script = TestData.interopDirectory.appendingPathComponent(name).path
    let result = try runProcess(python3(), [script] + arguments, input: input)
    guard result.status == 0 else {
        throw PeerFailure(
            description:
                "\(name) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)\(result.stdoutText.suffix(4000))")
    }
    return result.stdoutText
}

/// The first `python3` on the PATH.
public func python3() -> String {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let path = "\(dir)/python3"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return "/usr/bin/python3"
}

// A value handed from one thread to another; the lock makes the unchecked Sendable sound.
private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.withLock { data = d } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}

/// ``runProcess(_:_:input:currentDirectory:)`` on a thread of its own. A test whose server runs in this
/// process must not block a thread of Swift's cooperative pool (two on a 2-core machine) while the
/// process talks to that server: the server's tasks need the pool to answer.
public func runProcessDetached(_ executable: String, _ arguments: [String], input: [UInt8] = []) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try runProcess(executable, arguments, input: input) }) }.start()
    }
}

/// ``pythonPeer(_:_:input:)`` on a thread of its own (see ``runProcessDetached(_:_:input:)``).
public func pythonPeerDetached(_ name: String, _ arguments: [String], input: [UInt8] = []) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try pythonPeer(name, arguments, input: input) }) }.start()
    }
}
