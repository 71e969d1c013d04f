import CanonAvro
import CanonCore
import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An error answered by the registry (its `error_code` and message), or a failure to reach it.
public struct RegistryClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status; 0 when the registry could not be reached or answered nonsense.
    public var status: Int
    /// Confluent's `error_code` (40401, 42201, 409, ...); 0 when there was none.
    public var code: Int
    public var message: String

    public var description: String { code == 0 ? message : "\(code): \(message)" }
}

/// A client of the Confluent Schema Registry REST API (Canon's or Confluent's), with caches for what
/// never changes: the schema an ID denotes, and the ID of a schema under a subject.
///
/// As an ``AvroSchemaSource`` it gives serializers their schema IDs (registering new schemas when
/// `autoRegister` is set, looking them up otherwise) and deserializers their writer schemas.
public actor RegistryClient: AvroSchemaSource {
    public nonisolated let baseURL: URL
    public nonisolated let autoRegister: Bool
    private let session: URLSession
    private let authorization: String?
    private var schemasByID: [Int32: AvroSchema] = [:]
    private var registeredByID: [Int32: RegisteredSchema] = [:]
    /// Subject -> (format, schema text) -> the ID registered or looked up.
    private var ids: [String: [SchemaKey: Int32]] = [:]
    private struct SchemaKey: Hashable {
        var type: SchemaType
        var text: String
    }

    /// How the client proves who it is to a registry that asks (Confluent's `basic.auth.user.info` and
    /// `bearer.auth.token`). Never printed: its description hides the secret.
    public enum Credentials: Sendable, CustomStringConvertible {
        /// HTTP Basic with `user:password`.
        case basic(userInfo: String)
        /// A bearer token (an OAuth access token, a JWT).
        case bearer(token: String)

        /// From `CANON_REGISTRY_USER_INFO` (`user:password`) or `CANON_REGISTRY_BEARER_TOKEN`; `nil` when
        /// neither is set. Secrets come from the environment, not from flags other users can see in `ps`.
        public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Credentials? {
            if let info = environment["CANON_REGISTRY_USER_INFO"], !info.isEmpty { return .basic(userInfo: info) }
            if let token = environment["CANON_REGISTRY_BEARER_TOKEN"], !token.isEmpty { return .bearer(token: token) }
            return nil
        }

        var header: String {
            switch self {
            case .basic(let info): return "Basic " + Data(info.utf8).base64EncodedString()
            case .bearer(let token): return "Bearer " + token
            }
        }

        public var description: String {
            switch self {
            case .basic(let info): return "basic (user \(info.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""))"
            case .bearer: return "bearer token"
            }
        }
    }

    /// `url`: e.g. `http://127.0.0.1:8081`; `credentials` are sent with every request.
    public init(url: URL, autoRegister: Bool = true, session: URLSession = .shared, credentials: Credentials? = nil) {
        self.baseURL = url
        self.autoRegister = autoRegister
        self.session = session
        self.authorization = credentials?.header
    }

    /// A schema reference, as in a registration request.
    public typealias Reference = SchemaReference

    // MARK: - Raw requests

    /// Sends a request and returns the answer's JSON; an error answer throws its code and message.
    public func send(_ method: String, _ path: String, body: JSONValue? = nil) async throws(RegistryClientError) -> JSONValue {
        guard let url = URL(string: baseURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path) else {
            throw RegistryClientError(status: 0, code: 0, message: "bad URL path \(path)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("application/vnd.schemaregistry.v1+json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/vnd.schemaregistry.v1+json", forHTTPHeaderField: "Accept")
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        if let body { request.httpBody = Data(body.jsonText.utf8) }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw RegistryClientError(
                status: 0, code: 0, message: "cannot reach the registry at \(baseURL.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let json = try? JSONReader.parse(bytes: Array(data))
        guard (200..<300).contains(status) else {
            throw RegistryClientError(
                status: status, code: json?["error_code"]?.int64Value.map(Int.init) ?? 0,
                message: json?["message"]?.stringValue ?? String(decoding: data, as: UTF8.self))
        }
        guard let json else {
            throw RegistryClientError(status: status, code: 0, message: "the registry answered with something that is not JSON")
        }
        return json
    }

    /// A path segment (a subject, a version) percent-encoded, `/` included.
    package static func path(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
    }

    /// The body of a registration, lookup or compatibility request.
    package static func schemaBody(_ schema: String, schemaType: SchemaType = .avro, references: [Reference]) -> JSONValue {
        var object: JSONObject = ["schema": .string(schema), "schemaType": .string(schemaType.rawValue)]
        if !references.isEmpty { object["references"] = references.json }
        return .object(object)
    }

    // MARK: - Typed calls

    /// Registers a schema under a subject; returns its ID and version.
    public func register(
        subject: String, schema: String, schemaType: SchemaType = .avro, references: [Reference] = [], normalize: Bool = false
    ) async throws(RegistryClientError) -> (id: Int32, version: Int?) {
        let answer = try await send(
            "POST", "/subjects/\(Self.path(subject))/versions\(normalize ? "?normalize=true" : "")",
            body: Self.schemaBody(schema, schemaType: schemaType, references: references))
        guard let id = answer["id"]?.int64Value.flatMap({ Int32(exactly: $0) }) else {
            throw RegistryClientError(status: 200, code: 0, message: "the registration answer has no id")
        }
        ids[subject, default: [:]][SchemaKey(type: schemaType, text: schema)] = id
        return (id, answer["version"]?.int64Value.map(Int.init))
    }

    /// The ID and version of a schema already registered under a subject.
    public func lookup(subject: String, schema: String, schemaType: SchemaType = .avro, references: [Reference] = [])
        async throws(RegistryClientError) -> (id: Int32, version: Int)
    {
        let answer = try await send(
            "POST", "/subjects/\(Self.path(subject))", body: Self.schemaBody(schema, schemaType: schemaType, references: references))
        guard let id = answer["id"]?.int64Value.flatMap({ Int32(exactly: $0) }), let version = answer["version"]?.int64Value else {
            throw RegistryClientError(status: 200, code: 0, message: "the lookup answer has no id or version")
        }
        ids[subject, default: [:]][SchemaKey(type: schemaType, text: schema)] = id
        return (id, Int(version))
    }

    /// The schema text an ID denotes.
    public func schemaText(id: Int32) async throws(RegistryClientError) -> String {
        guard let text = try await send("GET", "/schemas/ids/\(id)")["schema"]?.stringValue else {
            throw RegistryClientError(status: 200, code: 0, message: "the answer for ID \(id) has no schema")
        }
        return text
    }

    public func subjects() async throws(RegistryClientError) -> [String] {
        guard case .array(let items) = try await send("GET", "/subjects") else { return [] }
        return items.compactMap(\.stringValue)
    }

    public func versions(subject: String) async throws(RegistryClientError) -> [Int] {
        guard case .array(let items) = try await send("GET", "/subjects/\(Self.path(subject))/versions") else { return [] }
        return items.compactMap { $0.int64Value.map(Int.init) }
    }

    // MARK: - SchemaSource

    public func schemaID(subject: String, schema: String, schemaType: SchemaType) async throws -> Int32 {
        if let id = ids[subject]?[SchemaKey(type: schemaType, text: schema)] { return id }
        if autoRegister { return try await register(subject: subject, schema: schema, schemaType: schemaType).id }
        return try await lookup(subject: subject, schema: schema, schemaType: schemaType).id
    }

    /// The schema an ID denotes, with the schemas it references (fetched by subject and version, their
    /// own references first, each once), as Confluent's deserializers resolve them.
    public func registeredSchema(id: Int32) async throws -> RegisteredSchema {
        if let cached = registeredByID[id] { return cached }
        let answer = try await send("GET", "/schemas/ids/\(id)")
        guard let text = answer["schema"]?.stringValue else {
            throw RegistryClientError(status: 200, code: 0, message: "the answer for ID \(id) has no schema")
        }
        let type = SchemaType(confluentName: answer["schemaType"]?.stringValue)
        var references: [RegisteredSchema.Referenced] = []
        var loaded: Set<String> = []
        try await loadReferences(answer["references"], into: &references, loaded: &loaded, depth: 0)
        let schema = RegisteredSchema(type: type, text: text, references: references)
        registeredByID[id] = schema
        return schema
    }

    /// Fetches the schemas `references` (a registry answer's `references` array) names into
    /// `references`, each once, what they reference first.
    private func loadReferences(
        _ json: JSONValue?, into references: inout [RegisteredSchema.Referenced], loaded: inout Set<String>, depth: Int
    ) async throws {
        guard case .array(let items)? = json, !items.isEmpty else { return }
        guard depth < 32 else { throw RegistryClientError(status: 200, code: 0, message: "schema references nest more than 32 deep") }
        for item in items {
            guard let reference = SchemaReference(json: item) else {
                throw RegistryClientError(status: 200, code: 0, message: "a schema reference is not {name, subject, version}")
            }
            let (subject, version) = (reference.subject, reference.version)
            guard loaded.insert("\(subject)\u{0}\(version)").inserted else { continue }
            // deleted=true: a record written before its schema's referenced version was soft-deleted stays readable.
            let referenced = try await send("GET", "/subjects/\(Self.path(subject))/versions/\(version)?deleted=true")
            try await loadReferences(referenced["references"], into: &references, loaded: &loaded, depth: depth + 1)
            guard let text = referenced["schema"]?.stringValue else {
                throw RegistryClientError(status: 200, code: 0, message: "the answer for \(subject) version \(version) has no schema")
            }
            references.append(.init(name: reference.name, text: text, origin: "\(subject) version \(version)"))
        }
    }

    // MARK: - AvroSchemaSource

    /// The Avro schema an ID denotes (parsed once per ID; the references first).
    public func writerSchema(id: Int32) async throws -> AvroSchema {
        if let cached = schemasByID[id] { return cached }
        let schema = try await registeredSchema(id: id).writerSchema()
        schemasByID[id] = schema
        return schema
    }
}
