import CanonTestSupport
import Testing

/// `canon serve` refuses nonsensical options at start, naming them (exit 2), before touching the data
/// directory.
@Suite struct ServeOptionsTests {
    @Test(arguments: [
        (["--max-body-bytes", "-1"], "--max-body-bytes"), (["--port", "70000"], "--port"), (["--kafka-port", "-1"], "--kafka-port"),
        (["--compatibility-budget", "0"], "--compatibility-budget"), (["--cors-origin", "evil.example"], "--cors-origin"),
        (["--max-response-bytes", "10"], "--max-response-bytes"), (["--idle-timeout", "0"], "--idle-timeout"),
    ])
    func nonsensicalOptionsAreRefusedAtStart(_ arguments: [String], _ option: String) throws {
        let result = try runProcess(CLITests.executable, ["serve", "--data-dir", "/nonexistent/never-created"] + arguments, input: [])
        #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
        #expect(result.stderr.contains(option), "\(result.stderr)")
    }
}
