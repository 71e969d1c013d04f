import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// `canon serve` with real clients: the unmodified confluent-kafka Python client and its Avro
/// serializer/deserializer (Tests/Interop/registry_client.py), and a SIGKILL in the middle.
@Suite(.serialized) struct RegistryInteropTests {
    /// A running `canon serve` on a fresh port.
    final class Server {
        let url: String

        /// The Kafka port, when the server listens for Kafka clients too.
        private(set) var kafkaPort: Int?

        init(dataDirectory: String, kafka: Bool = false, extraArguments: [String] = []) throws {
            var lastError = ""
            for _ in 0..<5 {
                let port = Int.random(in: 20_000..<40_000)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: CLITests.executable)
                process.arguments =
                    ["serve", "--data-dir", dataDirectory, "--port", String(port)] + (kafka ? ["--kafka-port", String(port + 1)] : [])
                    + extraArguments
                kafkaPort = kafka ? port + 1 : nil
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                let url = "http://127.0.0.1:\(port)"
                // Ready once /health answers.
                for _ in 0..<100 {
                    let probe = try runProcess(
                        python3(), ["-c", "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/health', timeout=1)", url])
                    if probe.status == 0 {
                        self.url = url
                        self.processRef = process
                        return
                    }
                    lastError = probe.stderr
                    if !process.isRunning { break }
                    usleep(100_000)
                }
                process.terminate()
            }
            throw PeerFailure(description: "canon serve did not start: \(lastError)")
        }

        private var processRef: Process?

        func kill9() {
            guard let p = processRef else { return }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }

        func stop() {
            guard let p = processRef, p.isRunning else { return }
            p.terminate()
            p.waitUntilExit()
        }

        var exitStatus: Int32? {
            guard let p = processRef, !p.isRunning else { return nil }
            return p.terminationStatus
        }

        deinit { stop() }
    }

    static func client(_ url: String, _ arguments: String...) throws -> ProcessResult {
        try runProcess(python3(), [TestData.interopDirectory.appendingPathComponent("registry_client.py").path, url] + arguments)
    }

    static func freshDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("canon-registry-\(UUID().uuidString)").path
    }

    /// confluent-kafka's JSONSerializer/JSONDeserializer (Tests/Interop/jsonschema_client.py): auto.register
    /// on and off, use.latest.version, references; what they write is accepted under `full`, what breaks
    /// the schema refused naming the instance path.
    /// What a web page can make a browser send to a loopback-bound server: a rebound `Host` (DNS
    /// rebinding) and a cross-origin write are refused with 403; the server's own origin, its names and
    /// clients without `Origin` are served.
    @Test func foreignHostsAndCrossOriginWritesAreRefused() throws {
        let server = try Server(dataDirectory: Self.freshDirectory())
        defer { server.stop() }
        let script = #"""
            import http.client, json, sys
            url = sys.argv[1]
            host, port = url.split("//")[1].split(":")
            body = json.dumps({"schema": json.dumps("string")})
            def send(method, path, headers, data=None):
                c = http.client.HTTPConnection(host, int(port), timeout=10)
                c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for k, v in headers.items():
                    c.putheader(k, v)
                if data is not None:
                    c.putheader("Content-Length", str(len(data)))
                c.endheaders(data.encode() if data is not None else None)
                r = c.getresponse()
                return [r.status, json.loads(r.read() or b"null")]
            own = f"127.0.0.1:{port}"
            ct = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
            print(json.dumps([
                send("GET", "/subjects", {"Host": f"evil.example:{port}"}),
                send("POST", "/subjects/s/versions", {"Host": f"rebound.example:{port}", **ct}, body),
                send("POST", "/subjects/s/versions", {"Host": own, "Origin": "http://evil.example", **ct}, body),
                send("DELETE", "/subjects/s", {"Host": own, "Origin": "null"}),
                send("POST", "/subjects/s/versions", {"Host": own, "Origin": f"http://{own}", **ct}, body),
                send("POST", "/subjects/t/versions", {"Host": f"localhost:{port}", **ct}, body),
                send("GET", "/subjects", {"Host": own}),
            ]))
            """#
        let result = try runProcess(python3(), ["-c", script, server.url])
        #expect(result.status == 0, "\(result.stderr)")
        let answers = try JSONReader.parse(result.stdoutText)
        guard case .array(let list) = answers, list.count == 7 else {
            Issue.record("\(result.stdoutText)")
            return
        }
        let pairs: [(status: Int64, body: JSONValue)] = list.map {
            guard case .array(let pair) = $0, pair.count == 2 else { return (0, .null) }
            return (pair[0].int64Value ?? 0, pair[1])
        }
        #expect(pairs.map(\.status) == [403, 403, 403, 403, 200, 200, 200], "\(answers)")
        #expect(pairs[0].body["message"]?.stringValue?.contains("evil.example") == true, "\(answers)")
        #expect(pairs[2].body["message"]?.stringValue?.contains("cross-origin") == true, "\(answers)")
        #expect(pairs[6].body == .array([.string("s"), .string("t")]), "\(answers)")
    }

    /// Connections that send nothing, half a header, or stay idle after a request are closed after
    /// `--idle-timeout`, while new clients are served; 200 idle connections do not stop a new client.
    @Test func slowAndIdleConnectionsAreClosedAndNewClientsServed() throws {
        let server = try Server(dataDirectory: Self.freshDirectory(), extraArguments: ["--idle-timeout", "1"])
        defer { server.stop() }
        let script = #"""
            import socket, sys, time, urllib.request
            host, port = sys.argv[1].split("//")[1].split(":")
            def connect():
                return socket.create_connection((host, int(port)), timeout=20)
            silent = connect()
            slowloris = connect()
            slowloris.sendall(b"POST /subjects/x/versions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
            keepalive = connect()
            keepalive.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            keepalive.recv(4096)
            crowd = [connect() for _ in range(200)]
            # A new client is served meanwhile.
            fresh = urllib.request.urlopen(sys.argv[1] + "/health", timeout=10).status
            # Each of the others is closed by the server: recv returns b"" (it would block past the timeout otherwise).
            closed = [s.recv(4096) == b"" for s in (silent, slowloris, keepalive, crowd[0], crowd[-1])]
            print(fresh, all(closed))
            """#
        let result = try runProcess(python3(), ["-c", script, server.url])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == "200 True\n", "\(result.stdoutText)\(result.stderr)")
    }

    /// A 100 MB body over the limit is answered 413 and the connection closed, without the server reading
    /// the body: with `Connection: close` (the server used to stop reading and keep the socket open, so a
    /// client sending its whole body hung) and without (the server used to read it all to drop it).
    @Test func aTooLargeBodyIsRefusedAndItsConnectionClosedWithoutReadingIt() throws {
        let server = try Server(dataDirectory: Self.freshDirectory(), extraArguments: ["--idle-timeout", "120"])
        defer { server.stop() }
        let script = #"""
            import socket, sys
            host, port = sys.argv[1].split("//")[1].split(":")
            for path in ("/subjects/x/versions", "/v3/clusters/canon/topics"):
                for close in (True, False):
                    s = socket.create_connection((host, int(port)), timeout=30)
                    n = 100 << 20
                    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {n}\r\n"
                    s.sendall((head + ("Connection: close\r\n" if close else "") + "\r\n").encode())
                    sent = 0
                    try:
                        while sent < n:
                            s.sendall(b"x" * 65536)
                            sent += 65536
                    except OSError:
                        pass
                    answer = b""
                    try:
                        while chunk := s.recv(65536):
                            answer += chunk
                    except ConnectionResetError:
                        pass
                    print(answer.split(b"\r\n")[0].decode(), sent < n // 4)
            """#
        let result = try runProcess(python3(), ["-c", script, server.url])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdoutText == String(repeating: "HTTP/1.1 413 Payload Too Large True\n", count: 4),
            "\(result.stdoutText)\(result.stderr)")
    }

    @Test func theConfluentJSONSchemaSerializersWorkUnchanged() throws {
        let server = try Server(dataDirectory: Self.freshDirectory())
        defer { server.stop() }
        let result = try runProcess(python3(), [TestData.interopDirectory.appendingPathComponent("jsonschema_client.py").path, server.url])
        #expect(result.status == 0, "\(result.stdoutText)\n\(result.stderr)")
        #expect(result.stdoutText.contains("json suite passed"))
    }

    /// Runs a Kafka client script of `Tests/Interop` against a fresh `canon serve --kafka-port`; its
    /// delivery errors by record ("ok" when delivered) and what it read back.
    static func produceThroughTheDoor(_ script: String) throws -> (errors: [String], read: JSONValue?, output: String) {
        let server = try Server(dataDirectory: Self.freshDirectory(), kafka: true)
        defer { server.stop() }
        let kafkaPort = try #require(server.kafkaPort)
        let result = try runProcess(
            python3(), [TestData.interopDirectory.appendingPathComponent(script).path, server.url, "127.0.0.1:\(kafkaPort)"])
        #expect(result.status == 0, "\(result.stderr)")
        let out = try JSONReader.parse(result.stdoutText)
        guard case .array(let reports)? = out["reports"] else { return ([], nil, result.stdoutText) }
        let errors = reports.compactMap { r -> String? in if case .array(let a) = r { a[1].stringValue ?? "ok" } else { nil } }
        return (errors, out["read"], result.stdoutText)
    }

    /// XML records over the Kafka door, validated in full against an XML Schema: a record breaking a facet
    /// and one with a DTD fail their delivery with INVALID_RECORD, the others land and read back.
    @Test func xmlRecordsThroughTheKafkaDoorAreValidatedInFull() throws {
        let (errors, read, output) = try Self.produceThroughTheDoor("kafka_xml_client.py")
        #expect(errors == ["ok", "INVALID_RECORD", "INVALID_RECORD", "ok"], "\(output)")
        #expect(
            read
                == .array([
                    .string(#"<invoice id="i1"><amount>10.50</amount></invoice>"#),
                    .string(#"<invoice id="i3"><amount>0</amount></invoice>"#),
                ]),
            "\(output)")
    }

    /// confluent-kafka's AvroSerializer producing over the Kafka door of `canon serve`, validated in full
    /// against the registry: a record from a mismatched serializer fails its delivery with INVALID_RECORD,
    /// the others land, and AvroDeserializer reads them back.
    @Test func theAvroSerializerProducesThroughTheKafkaDoorValidatedInFull() throws {
        let (errors, read, output) = try Self.produceThroughTheDoor("kafka_avro_client.py")
        #expect(errors == ["ok", "ok", "ok", "INVALID_RECORD", "ok", "ok"], "\(output)")
        #expect(read == .array([0, 100, 200, 300, 400].map { .int($0) }))
    }

    @Test func theConfluentPythonClientAndSerializersWorkUnchanged() throws {
        let server = try Server(dataDirectory: Self.freshDirectory())
        defer { server.stop() }
        let result = try Self.client(server.url, "suite")
        #expect(result.status == 0, "\(result.stdoutText)\n\(result.stderr)")
        #expect(result.stdoutText.contains("suite passed"))
    }

    @Test func everythingAcknowledgedSurvivesSIGKILLAndNewIDsStayAboveIssuedOnes() throws {
        let directory = Self.freshDirectory()
        var server = try Server(dataDirectory: directory)
        let populated = try Self.client(server.url, "populate")
        #expect(populated.status == 0, "\(populated.stderr)")
        server.kill9()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("populated-\(UUID().uuidString).txt")
        try Data(populated.stdout).write(to: file)
        server = try Server(dataDirectory: directory)
        defer { server.stop() }
        let checked = try Self.client(server.url, "check", file.path)
        #expect(checked.status == 0, "\(checked.stdoutText)\n\(checked.stderr)")
        #expect(checked.stdoutText.contains("check passed"))
    }
}

extension RegistryInteropTests {
    @Test func theRegistryCLITalksToARunningServer() throws {
        let server = try Server(dataDirectory: Self.freshDirectory())
        defer { server.stop() }
        let a = try CLITests.temporaryFile(#"{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}"#, name: "a.avsc")
        let b = try CLITests.temporaryFile(
            #"{"type":"record","name":"A","fields":[{"name":"x","type":"int"},{"name":"y","type":"string"}]}"#, name: "b.avsc")
        func canon(_ arguments: String...) throws -> ProcessResult {
            try runProcess(CLITests.executable, ["registry"] + arguments + ["--url", server.url])
        }
        #expect(try canon("register", "a-value", a).stdoutText == #"{"id":1,"version":1}"# + "\n")
        #expect(try canon("subjects").stdoutText == "a-value\n")
        #expect(try canon("versions", "a-value").stdoutText == "1\n")
        #expect(try canon("get", "a-value").stdoutText.contains(#""id":1"#))
        #expect(try canon("get-id", "1").stdoutText.contains(#"\"name\":\"A\""#))
        let incompatible = try canon("compat", "a-value", b)
        #expect(incompatible.status == 1 && incompatible.stdoutText.contains(#""is_compatible":false"#))
        #expect(try canon("config", "a-value", "--set", "none").stdoutText == #"{"compatibility":"NONE"}"# + "\n")
        #expect(try canon("compat", "a-value", b).status == 0)
        #expect(try canon("mode", "--set", "READONLY").stdoutText == #"{"mode":"READONLY"}"# + "\n")
        let refused = try canon("register", "a-value", b)
        #expect(refused.status == 1 && refused.stderr.contains("42205"))
        _ = try canon("mode", "--set", "READWRITE")
        #expect(try canon("delete", "a-value").stdoutText == "1\n")
        #expect(try canon("delete", "a-value", "--permanent").stdoutText == "1\n")
        let missing = try canon("get", "a-value")
        #expect(missing.status == 1 && missing.stderr.contains("40401"))
    }
}

extension RegistryInteropTests {
    @Test func sigtermStopsTheServerCleanly() throws {
        let directory = Self.freshDirectory()
        let server = try Server(dataDirectory: directory)
        let registered = try Self.client(server.url, "populate")
        #expect(registered.status == 0)
        server.stop()  // SIGTERM: graceful shutdown, then the log closes cleanly
        #expect(server.exitStatus == 0)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/.clean-shutdown"))
    }

    /// A server that cannot serve (its port is taken) still closes its log cleanly: the engine is a service
    /// of the same group, stopped when the HTTP server fails.
    @Test func aServerThatCannotServeClosesItsLogCleanly() throws {
        let first = try Server(dataDirectory: Self.freshDirectory())
        defer { first.stop() }
        let port = try #require(first.url.split(separator: ":").last.map(String.init))
        let directory = Self.freshDirectory()
        let started = Date()
        let second = try runProcess(CLITests.executable, ["serve", "--data-dir", directory, "--port", port])
        #expect(second.status == 1)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(second.stderr.contains("canon: "))
        #expect(FileManager.default.fileExists(atPath: "\(directory)/.clean-shutdown"))
    }
}

extension RegistryInteropTests {
    /// confluent-kafka's AvroSerializer bytes, produced as BINARY under `full`: accepted; each corruption
    /// refused with its reason class; a batch with one bad record stores nothing; what is read back is
    /// what was sent, and AvroDeserializer decodes it.
    @Test func producedRecordsAreValidatedAgainstTheRegistry() throws {
        let server = try Server(dataDirectory: Self.freshDirectory())
        defer { server.stop() }
        let result = try Self.client(server.url, "produce")
        #expect(result.status == 0, "\(result.stdoutText)\n\(result.stderr)")
        #expect(result.stdoutText.contains("produce passed"))
    }
}

extension RegistryInteropTests {
    @Test func topicProduceAndConsumeCommandsTalkToARunningServer() throws {
        let server = try Server(dataDirectory: Self.freshDirectory())
        defer { server.stop() }
        let schema = try CLITests.temporaryFile(
            #"{"type":"record","name":"Evt","fields":[{"name":"n","type":"int"},{"name":"s","type":"string"}]}"#, name: "evt.avsc")
        func canon(_ arguments: [String], input: String = "") throws -> ProcessResult {
            try runProcess(CLITests.executable, arguments + ["--url", server.url], input: Array(input.utf8))
        }
        #expect(try canon(["registry", "register", "events-value", schema]).status == 0)
        #expect(try canon(["topic", "create", "events", "--config", "value.schema.validation=full"]).status == 0)
        #expect(try canon(["topic", "list"]).stdoutText == "events\n")
        #expect(try canon(["topic", "describe", "events"]).stdoutText.contains(#""value.schema.validation":"full""#))
        let produced = try canon(["produce", "events"], input: #"{"value":{"n":1,"s":"a"}}"# + "\n" + #"{"value":{"n":2,"s":"b"}}"# + "\n")
        #expect(produced.stdoutText == "0 0\n0 1\n", "\(produced.stderr)")
        // Wire-format bytes with a trailing byte: refused, exit 1, the reason printed.
        let refused = try canon(["produce", "events", "--binary"], input: "-\t000000000102026100\n")
        #expect(refused.status == 1 && refused.stderr.contains("42294") && refused.stderr.contains("trailing"))
        // A refusal after stored lines: their offsets are on the output all the same.
        let partly = try canon(["produce", "events", "--binary"], input: "-\t0000000001020261\n-\t000000000102026100\n")
        #expect(partly.status == 1 && partly.stdoutText == "0 2\n", "\(partly.stderr)")
        let consumed = try canon(["consume", "events"])
        #expect(consumed.stdoutText.split(separator: "\n").count == 3)
        #expect(consumed.stdoutText.contains(#""data":{"n":2,"s":"b"}"#))
        #expect(
            try canon(["topic", "config", "events", "value.schema.validation", "--set", "none"]).stdoutText.contains(#""value":"none""#))
        #expect(try canon(["produce", "events", "--binary"], input: "-\t000000000102026100\n").stdoutText == "0 3\n")
        // A key on a topic with no key schema goes as its UTF-8 bytes.
        #expect(try canon(["produce", "events"], input: #"{"key":"k1","value":{"n":3,"s":"c"}}"# + "\n").stdoutText == "0 4\n")
        #expect(try canon(["consume", "events", "--from", "4"]).stdoutText.contains(#""key":{"type":"BINARY","data":"azE="}"#))
        #expect(try canon(["topic", "delete", "events"]).status == 0)
        #expect(try canon(["topic", "list"]).stdoutText.isEmpty)
    }

    /// `canon registry register`, `produce` and `consume` with a JSON Schema subject: the file's extension
    /// says the format, produce encodes lines in the subject's format, consume decodes them.
    @Test func produceAndConsumeFollowTheSubjectsFormat() throws {
        let server = try Server(dataDirectory: Self.freshDirectory())
        defer { server.stop() }
        let schema = try CLITests.temporaryFile(
            #"{"type":"object","properties":{"n":{"type":"integer","minimum":0}},"required":["n"]}"#, name: "evt.json")
        func canon(_ arguments: [String], input: String = "") throws -> ProcessResult {
            try runProcess(CLITests.executable, arguments + ["--url", server.url], input: Array(input.utf8))
        }
        #expect(try canon(["registry", "register", "jevents-value", schema]).status == 0)
        #expect(try canon(["topic", "create", "jevents", "--config", "value.schema.validation=full"]).status == 0)
        let produced = try canon(["produce", "jevents"], input: #"{"value":{"n":1}}"# + "\n")
        #expect(produced.stdoutText == "0 0\n", "\(produced.stderr)")
        let refused = try canon(["produce", "jevents"], input: #"{"value":{"n":-1}}"# + "\n")
        #expect(refused.status == 1 && refused.stderr.contains("minimum"), "\(refused.stderr)")
        let consumed = try canon(["consume", "jevents"])
        #expect(
            consumed.stdoutText.contains(#""type":"JSONSCHEMA""#) && consumed.stdoutText.contains(#""data":{"n":1}"#),
            "\(consumed.stdoutText)")
    }

    /// `canon consume` reads every partition, merged by timestamp, and with --follow waits for new records.
    @Test func consumeReadsEveryPartitionAndFollows() throws {
        let server = try Server(dataDirectory: Self.freshDirectory())
        defer { server.stop() }
        func canon(_ arguments: [String], input: String = "") throws -> ProcessResult {
            try runProcess(CLITests.executable, arguments + ["--url", server.url], input: Array(input.utf8))
        }
        #expect(try canon(["topic", "create", "multi", "--partitions", "3"]).status == 0)
        var lines = ""
        for i in 0..<12 { lines += #"{"key":"key-\#(i)","value":null}"# + "\n" }
        let produced = try canon(["produce", "multi"], input: lines)
        #expect(Set(produced.stdoutText.split(separator: "\n").map { $0.split(separator: " ")[0] }).count > 1, "\(produced.stdoutText)")
        let all = try canon(["consume", "multi"]).stdoutText.split(separator: "\n").compactMap { try? JSONReader.parse(String($0)) }
        #expect(all.count == 12)
        let stamps = all.compactMap { $0["timestamp"]?.stringValue }
        #expect(stamps == stamps.sorted())
        #expect(try canon(["consume", "multi", "--partition", "0"]).stdoutText.split(separator: "\n").count < 12)
        #expect(try canon(["consume", "multi", "--max", "5"]).stdoutText.split(separator: "\n").count == 5)

        // --follow: records produced after it reached the end of the topic arrive on its output.
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: CLITests.executable)
        follower.arguments = ["consume", "multi", "--follow", "--poll-ms", "50", "--url", server.url]
        let output = Pipe()
        follower.standardOutput = output
        try follower.run()
        defer { if follower.isRunning { follower.terminate() } }
        let seen = Locked("")
        let reader = Thread {
            while true {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { return }  // the follower ended
                seen.withValue { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        reader.start()
        func printed() -> Int { seen.value.split(separator: "\n").count }
        for _ in 0..<100 where printed() < 12 { usleep(50_000) }
        #expect(printed() == 12)  // the topic so far, then it waits
        _ = try canon(["produce", "multi"], input: (0..<3).map { #"{"key":"late-\#($0)","value":null}"# }.joined(separator: "\n") + "\n")
        let late = Data("late-2".utf8).base64EncodedString()
        for _ in 0..<200 where !seen.value.contains(late) { usleep(50_000) }
        #expect(seen.value.contains(late), "\(seen.value)")
        #expect(printed() == 15)
        #expect(follower.isRunning)
    }
}
