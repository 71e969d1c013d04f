import CanonCore
import CanonRegistry
import Hummingbird

/// `GET /`, `/schemas`, `/schemas/types` and `/schemas/ids/{id}…`: Confluent's SchemasResource and
/// RootResource.
enum SchemaRoutes {
    static func collection(registry: Registry, cache: ResponseCache) -> RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("/") { _, _ in RegistryServer.json(.object([:])) }
        routes.get("/schemas/types") { _, _ in
            RegistryServer.json(.array(registry.configuration.formats.types.map { .string($0.rawValue) }))
        }
        routes.get("/schemas") { request, _ in
            let prefix = request.uri.queryParameters.get("subjectPrefix") ?? ""
            let deleted = RegistryServer.flag(request, "deleted"), latestOnly = RegistryServer.flag(request, "latestOnly")
            var out: [JSONValue] = []
            for subject in await registry.subjects(prefix: prefix, includeDeleted: deleted) {
                let numbers = try await registry.versions(of: subject, includeDeleted: deleted)
                for number in latestOnly ? Array(numbers.suffix(1)) : numbers {
                    out.append(RegistryServer.schemaJSON(try await registry.version(.number(number), of: subject, includeDeleted: deleted)))
                }
            }
            return RegistryServer.json(.array(RegistryServer.page(out, request)))
        }
        routes.get("/schemas/ids/:id") { request, context in
            // includeSubjects=true (Karapace's extension) adds the subjects using the ID.
            let includeSubjects = RegistryServer.flag(request, "includeSubjects")
            return try await cache.answer("id\u{0}\(includeSubjects)\u{0}" + (context.parameters.get("id") ?? "")) {
                let id = try RegistryServer.id(context)
                let content = try await registry.schema(id: id)
                var object: JSONObject = [:]
                if let type = content.schemaType.confluentName { object["schemaType"] = .string(type) }
                if !content.references.isEmpty { object["references"] = content.references.json }
                object["schema"] = .string(content.schema)
                if includeSubjects {
                    var seen = Set<String>()
                    let subjects = try await registry.versions(usingID: id).map(\.subject).filter { seen.insert($0).inserted }
                    object["subjects"] = .array(subjects.map(JSONValue.string))
                }
                return .object(object)
            }
        }
        routes.get("/schemas/ids/:id/schema") { _, context in
            let content = try await registry.schema(id: try RegistryServer.id(context))
            return RegistryServer.json((try? JSONReader.parse(content.schema)) ?? .string(content.schema))
        }
        routes.get("/schemas/ids/:id/subjects") { request, context in
            let pairs = try await registry.versions(
                usingID: try RegistryServer.id(context), includeDeleted: RegistryServer.flag(request, "deleted"))
            var seen = Set<String>()
            return RegistryServer.json(
                .array(RegistryServer.page(pairs.map(\.subject).filter { seen.insert($0).inserted }.map(JSONValue.string), request)))
        }
        routes.get("/schemas/ids/:id/versions") { request, context in
            let pairs = try await registry.versions(
                usingID: try RegistryServer.id(context), includeDeleted: RegistryServer.flag(request, "deleted"))
            return RegistryServer.json(
                .array(
                    RegistryServer.page(
                        pairs.map { .object(["subject": .string($0.subject), "version": .int(Int64($0.version))]) }, request)))
        }
        return routes
    }
}
