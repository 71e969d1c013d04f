import CanonCore
import CanonLog
import CanonRegistry
import Hummingbird

/// The server's one HTTP error: a status and Confluent's body `{"error_code": N, "message": "..."}`
/// (plus `errors`, the refused records, on the records routes). Routes throw it, or the library errors
/// it is made from (``RegistryError``, ``LogError``); ``APIErrorMiddleware`` turns whatever a route
/// throws into one, so every error answer is rendered here.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var body: JSONValue
    /// The methods a path takes, for a 405's `Allow`.
    var allow: String?

    init(_ status: HTTPResponse.Status, _ code: Int, _ message: String, errors: [JSONValue]? = nil, allow: String? = nil) {
        self.status = status
        self.allow = allow
        var object: JSONObject = ["error_code": .int(Int64(code)), "message": .string(message)]
        if let errors { object["errors"] = .array(errors) }
        body = .object(object)
    }

    /// A registry error; its status is Confluent's: a five-digit code's first three digits (40401 is a
    /// 404), a three-digit code itself (409, 413).
    init(_ error: RegistryError) {
        self.init(.init(code: error.code >= 10_000 ? error.code / 100 : error.code), error.code, error.message)
    }

    /// A log error, in REST Proxy v3's codes.
    init(_ error: LogError) {
        switch error.code {
        case .unknownTopic: self.init(.notFound, 40403, error.message)
        case .partitionOutOfRange: self.init(.notFound, 40402, error.message)
        case .topicExists: self.init(.badRequest, 40002, error.message)
        case .invalidTopicName, .invalidConfiguration, .invalidPartitions: self.init(.badRequest, 40002, error.message)
        case .recordTooLarge: self.init(.contentTooLarge, 41301, error.message)
        case .invalidRecord:
            self.init(
                .unprocessableContent, error.rejections.first?.code ?? 42290, error.message,
                errors: error.rejections.map(Self.rejectionJSON))
        default: self.init(.internalServerError, 50001, error.description)
        }
    }

    /// Any error a route throws.
    init(_ error: any Error) {
        switch error {
        case let e as APIError: self = e
        case let e as RegistryError: self.init(e)
        case let e as LogError: self.init(e)
        default: self.init(RegistryError.storeError("\(error)"))
        }
    }

    var code: Int { Int(body["error_code"]?.int64Value ?? 0) }

    /// The answer of Confluent's HTTP layer (Jersey) for a path that names no resource, such as a schema
    /// ID that is not an integer.
    static let jerseyNotFound = APIError(.notFound, 404, "HTTP 404 Not Found")

    static func rejectionJSON(_ r: RecordRejection) -> JSONValue {
        var object: JSONObject = ["index": .int(Int64(r.index))]
        if let part = r.part { object["part"] = .string(part) }
        if let id = r.schemaID { object["schema_id"] = .int(Int64(id)) }
        if let path = r.path { object["path"] = .string(path) }
        if let offset = r.byteOffset { object["byte_offset"] = .int(Int64(offset)) }
        if let code = r.code { object["error_code"] = .int(Int64(code)) }
        object["reason"] = .string(r.reason)
        return .object(object)
    }

    /// The answer: the status, the body as JSON in `contentType`.
    func response(contentType: String = RegistryServer.contentType) -> Response {
        var response = RegistryServer.response(status: status, body: ByteBuffer(string: body.jsonText), contentType: contentType)
        if let allow { response.headers[.allow] = allow }
        return response
    }

    func response(from request: Request, context: some RequestContext) throws -> Response { response() }
}

/// Renders every error a route throws as an ``APIError`` in `contentType` (Confluent's for the registry,
/// `application/json` for REST Proxy v3's routes).
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    var contentType = RegistryServer.contentType

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return APIError(error).response(contentType: contentType)
        }
    }
}
