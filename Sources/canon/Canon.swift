import ArgumentParser
import CanonSchemaSync
import Foundation

/// `canon`: schemas, datums, compatibility, the log, the registry server (`canon serve`) and its HTTP clients.
///
/// Exit codes: 0 success / valid; 1 a negative verdict (invalid schema, rejected datum) or an error;
/// 2 usage errors and unreadable input.
@main
struct Canon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canon",
        abstract: "Schema registry, Swift code generator and validating event log for Kafka events.",
        discussion: """
            Exit codes: 0 success or valid; 1 a negative verdict (invalid schema, rejected datum) or an error; \
            2 a usage error or unreadable input.
            """,
        subcommands: [
            SchemaCommand.self, DatumCommand.self, GenerateCommand.self, CompatCommand.self, LogCommand.self, ServeCommand.self,
            RegistryCommand.self, TopicCommand.self, ProduceCommand.self, ConsumeCommand.self,
        ]
    )

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand { try await command.run() } else { try command.run() }
        } catch let failure as CLIFailure {
            if !failure.message.isEmpty { Output.error(failure.message) }
            Foundation.exit(failure.exitCode)
        } catch let failure as SchemaSyncFailure {
            if !failure.message.isEmpty { Output.error(failure.message) }
            Foundation.exit(failure.exitCode)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            let message = fullMessage(for: error)
            if !message.isEmpty { Output.error(message) }
            // argument-parser reports usage errors as EX_USAGE (64); Canon's convention is 2.
            Foundation.exit(code.rawValue == ExitCode.validationFailure.rawValue ? 2 : code.rawValue)
        }
    }
}

/// A failure with the message already worded and the exit code chosen.
struct CLIFailure: Error {
    var message: String
    var exitCode: Int32

    /// A negative verdict or processing error: exit 1.
    static func failed(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: 1) }
    /// Input that cannot be read or used: exit 2.
    static func unreadable(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: 2) }
}

/// Writing to standard output and error without Foundation's trapping `FileHandle` methods.
enum Output {
    static func write(_ bytes: [UInt8], to fd: Int32 = 1) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                Foundation.exit(1)
            }
            offset += n
        }
    }

    static func line(_ text: String) { write(Array((text + "\n").utf8)) }
    static func error(_ text: String) { write(Array(("canon: " + text + "\n").utf8), to: 2) }
}

/// Reads a whole file, or standard input for `-` or no path; unreadable input exits 2.
func readInput(_ path: String?) throws(CLIFailure) -> [UInt8] {
    if path == nil || path == "-" {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(0, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable("cannot read standard input: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            data += buffer[0..<n]
        }
        return data
    }
    guard let data = FileManager.default.contents(atPath: path!) else {
        throw .unreadable("cannot read \(path!): no such file or not readable")
    }
    return Array(data)
}

/// Reads a text file as UTF-8.
func readText(_ path: String?) throws(CLIFailure) -> String {
    let bytes = try readInput(path)
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw .unreadable("\(path ?? "standard input") is not valid UTF-8 text")
    }
    return text
}
