/// A Kafka topic as `canon-codegen.json` describes it: its name and the registry subjects of its keys and
/// values. Each format's generated descriptors (`AvroTopic`, `JSONTopic`) refine it with the key and value
/// types.
public protocol TopicDescriptor {
    /// The topic's name.
    static var name: String { get }
    /// The subject of the key schema (`<topic>-key` under the default TopicNameStrategy).
    static var keySubject: String { get }
    /// The subject of the value schema (`<topic>-value` under the default TopicNameStrategy).
    static var valueSubject: String { get }
}
