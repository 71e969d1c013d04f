/// How far a long operation is: `done` of `total` items of its current `stage`, and the item at hand.
/// Libraries report it through an optional callback; the CLI draws it on a terminal.
public struct ProgressReport: Sendable, Equatable {
    /// What is being done, as a verb ("verifying", "recovering", "writing").
    public var stage: String
    public var done: Int
    public var total: Int
    /// What the stage counts ("partitions", "files").
    public var unit: String
    /// The item being worked on (a partition, a file), if any.
    public var item: String?

    public init(stage: String, done: Int, total: Int, unit: String, item: String? = nil) {
        self.stage = stage
        self.done = done
        self.total = total
        self.unit = unit
        self.item = item
    }

    /// One line: `verifying 3/40 partitions (orders-2)`.
    public var text: String {
        "\(stage) \(done)/\(total) \(unit)" + (item.map { " (\($0))" } ?? "")
    }
}
