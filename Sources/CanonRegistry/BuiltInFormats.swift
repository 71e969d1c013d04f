import CanonAvro
import CanonCore
import CanonJSONSchema
import CanonXSD

extension SchemaFormats {
    /// Every format Canon serves, with its default settings: the one place that lists them.
    public static let builtIn = builtIn()

    /// The built-in formats with their settings: `assertingJSONFormats` makes JSON Schema's `format` an
    /// assertion in payloads (`canon serve --json-assert-formats`).
    public static func builtIn(assertingJSONFormats: Bool = false) -> SchemaFormats {
        SchemaFormats([AvroFormat(), JSONSchemaFormat(assertsFormats: assertingJSONFormats), XSDFormat()])
    }
}
