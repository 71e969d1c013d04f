import CanonCore
import CanonRegistry
import Hummingbird

/// `/subjects…` (register, look up, versions, deletes, references) and `/compatibility…`: Confluent's
/// SubjectsResource, SubjectVersionsResource and CompatibilityResource.
enum SubjectRoutes {
    static func collection(registry: Registry, cache: ResponseCache, limit: Int, metrics: ServerMetrics) -> RouteCollection<
        BasicRequestContext
    > {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("/subjects") { request, _ in
            let subjects = await registry.subjects(
                prefix: request.uri.queryParameters.get("subjectPrefix") ?? "",
                includeDeleted: RegistryServer.flag(request, "deleted"), deletedOnly: RegistryServer.flag(request, "deletedOnly"))
            return RegistryServer.json(.array(RegistryServer.page(subjects, request).map(JSONValue.string)))
        }
        routes.post("/subjects/:subject") { request, context in
            // Clients repeat the same lookup for every record they serialize: answer it from the raw body.
            let raw = try await RegistryServer.rawBody(request, limit: limit)
            let deleted = RegistryServer.flag(request, "deleted"), normalize = RegistryServer.flag(request, "normalize")
            let key = "lookup\u{0}\(deleted)\(normalize)\u{0}" + (context.parameters.get("subject") ?? "") + "\u{0}" + String(buffer: raw)
            return try await cache.answer(key) {
                let r = try SchemaRequest(json: try RegistryServer.parseJSON(raw))
                return RegistryServer.schemaJSON(
                    try await registry.lookup(
                        subject: try RegistryServer.subject(context), schema: r.schema, schemaType: r.schemaType,
                        references: r.references, normalize: normalize, includeDeleted: deleted))
            }
        }
        routes.delete("/subjects/:subject") { request, context in
            let deleted = try await registry.deleteSubject(
                try RegistryServer.subject(context), permanent: RegistryServer.flag(request, "permanent"))
            return RegistryServer.json(.array(deleted.map { .int(Int64($0)) }))
        }
        routes.get("/subjects/:subject/versions") { request, context in
            let numbers = try await registry.versions(
                of: try RegistryServer.subject(context), includeDeleted: RegistryServer.flag(request, "deleted"),
                deletedOnly: RegistryServer.flag(request, "deletedOnly"))
            return RegistryServer.json(.array(RegistryServer.page(numbers, request).map { .int(Int64($0)) }))
        }
        routes.post("/subjects/:subject/versions") { request, context in
            let subject = try RegistryServer.subject(context)
            let r = try SchemaRequest(json: try await RegistryServer.body(request, limit: limit))
            let registered: Registry.RegisteredSchema
            do {
                registered = try await registry.register(
                    subject: subject, schema: r.schema, schemaType: r.schemaType, references: r.references,
                    normalize: RegistryServer.flag(request, "normalize"), id: r.id, version: r.version)
            } catch let error as RegistryError where error.code == 409 {
                metrics.rejections.increment()
                throw error
            }
            metrics.registrations.increment()
            var object: JSONObject = [
                "id": .int(Int64(registered.id)), "version": .int(Int64(registered.version)),
                "schemaType": .string(registered.schemaType.rawValue),
            ]
            if !registered.references.isEmpty { object["references"] = registered.references.json }
            object["schema"] = .string(registered.schema)
            return RegistryServer.json(.object(object))
        }
        routes.get("/subjects/:subject/versions/:version") { request, context in
            RegistryServer.json(
                RegistryServer.schemaJSON(
                    try await registry.version(
                        try RegistryServer.versionSpec(context), of: try RegistryServer.subject(context),
                        includeDeleted: RegistryServer.flag(request, "deleted"))))
        }
        routes.get("/subjects/:subject/versions/:version/schema") { request, context in
            let v = try await registry.version(
                try RegistryServer.versionSpec(context), of: try RegistryServer.subject(context),
                includeDeleted: RegistryServer.flag(request, "deleted"))
            return RegistryServer.json((try? JSONReader.parse(v.schema)) ?? .string(v.schema))
        }
        routes.get("/subjects/:subject/versions/:version/referencedby") { request, context in
            let ids = try await registry.referencedBy(try RegistryServer.versionSpec(context), of: try RegistryServer.subject(context))
            return RegistryServer.json(.array(RegistryServer.page(ids, request).map { .int(Int64($0)) }))
        }
        routes.delete("/subjects/:subject/versions/:version") { request, context in
            let number = try await registry.deleteVersion(
                try RegistryServer.versionSpec(context), of: try RegistryServer.subject(context),
                permanent: RegistryServer.flag(request, "permanent"))
            return RegistryServer.json(.int(Int64(number)))
        }

        @Sendable func compatibility(_ request: Request, _ context: BasicRequestContext, version: Registry.VersionSpec?) async throws
            -> Response
        {
            let r = try SchemaRequest(json: try await RegistryServer.body(request, limit: limit))
            let result = try await registry.checkCompatibility(
                subject: try RegistryServer.subject(context), version: version, schema: r.schema,
                schemaType: r.schemaType, references: r.references)
            var object: JSONObject = ["is_compatible": .bool(result.isCompatible)]
            if RegistryServer.flag(request, "verbose") { object["messages"] = .array(result.messages.map(JSONValue.string)) }
            return RegistryServer.json(.object(object))
        }
        routes.post("/compatibility/subjects/:subject/versions/:version") { request, context in
            try await compatibility(request, context, version: try RegistryServer.versionSpec(context))
        }
        routes.post("/compatibility/subjects/:subject/versions") { request, context in
            try await compatibility(request, context, version: nil)
        }
        // confluent-kafka's default subject-name strategy asks for associations first; none exist here.
        routes.get("/associations/**") { _, _ -> Response in
            throw RegistryError(code: 40410, "Association not found")
        }
        return routes
    }
}
