import CanonAvro
import CanonCore
import CanonJSONSchema

extension SchemaFormats {
    /// Every format Canon serves, with its default settings: the one place that lists them.
    public static let builtIn = SchemaFormats([AvroFormat(), JSONSchemaFormat()])
}
