import CanonCore

/// The writer generated code encodes with: ``AvroBinaryWriter``.
public typealias AvroWriter = AvroBinaryWriter
/// The reader generated code decodes with: ``AvroBinaryReader``.
public typealias AvroReader = AvroBinaryReader

/// A Swift type with an Avro schema and a binary codec: generated records, and the primitive types a
/// topic key may have (`String`, `Int32`, `Int64`, `Bool`, `Float`, `Double`, `[UInt8]`).
///
/// A type whose values can always be encoded implements ``encode(into:)`` without `throws`; a type holding
/// values the schema may refuse (a `Decimal` with more digits than its precision, a `Date` outside the
/// range `timestamp-millis` keeps exact) throws ``AvroError`` from it.
public protocol AvroSerializable: Sendable {
    /// The schema's full rendering (every attribute kept, defaults and logical types included), the text a
    /// serializer registers.
    static var avroSchema: String { get }
    /// The CRC-64-AVRO fingerprint of the schema's Parsing Canonical Form, as Java prints it (signed).
    static var parsingCanonicalFormFingerprint: Int64 { get }
    /// The parsed ``avroSchema``: the reader schema when data written with another schema is resolved.
    static var avroParsedSchema: AvroSchema { get }

    /// Decodes one value at the reader's position, written with this type's own schema.
    init(from reader: inout AvroReader) throws(AvroError)
    /// Appends this value's Avro binary encoding to any writer (generated encoders are generic, so they
    /// are specialized for the array writer and the buffer writer alike).
    func encode<W: AvroWriting>(into writer: inout W) throws(AvroError)
}

/// A Swift type generated from an Avro named record (by `canon-codegen` or the build plugin).
///
/// Encoding and decoding are generated per field: no reflection, no dictionary lookups.
public protocol AvroRecord: AvroSerializable, Hashable {}

extension AvroSerializable {
    /// Decodes a value written with this type's own schema; the bytes must hold exactly one datum.
    @inlinable
    public init(avroBinary bytes: [UInt8], limits: AvroDecodingLimits = .default) throws(AvroError) {
        self = try AvroReader.readingAll(bytes, limits: limits) { (r) throws(AvroError) -> Self in try Self(from: &r) }
    }

    /// The value's Avro binary encoding (no framing), in an array of exactly its size: encoded into a
    /// stack buffer, then copied once (a value larger than the buffer is encoded into a growing array).
    @inlinable
    public func avroBinary() throws(AvroError) -> [UInt8] {
        try encoded(framedWith: nil)
    }

    /// The value in Confluent's wire format: byte 0, the big-endian schema ID, then the Avro binary, in
    /// one array of exactly that size.
    @inlinable
    public func framed(schemaID: Int32) throws(AvroError) -> [UInt8] {
        try encoded(framedWith: schemaID)
    }

    @inlinable
    func encoded(framedWith schemaID: Int32?) throws(AvroError) -> [UInt8] {
        func write<W: AvroWriting>(_ w: inout W) throws(AvroError) {
            if let schemaID { w.writeConfluentPrefix(schemaID: schemaID) }
            try encode(into: &w)
        }
        if let bytes = try AvroBufferWriter.encoding({ (w) throws(AvroError) in try write(&w) }) { return bytes }
        var writer = AvroWriter(capacity: 4 * AvroBufferWriter.stackCapacity)
        try write(&writer)
        return writer.bytes
    }

    /// Decodes a value written with `writerSchema`. When the writer's Parsing Canonical Form is this
    /// type's own, the generated decoder reads the bytes directly; otherwise the bytes are resolved into
    /// this type's schema first (Avro's schema resolution: defaults filled, promotions, enum defaults).
    public init(avroBinary bytes: [UInt8], writerSchema: AvroSchema, limits: AvroDecodingLimits = .default) throws(AvroError) {
        if Int64(bitPattern: writerSchema.rabinFingerprint) == Self.parsingCanonicalFormFingerprint {
            try self.init(avroBinary: bytes, limits: limits)
            return
        }
        try self.init(
            avroBinary: bytes, resolvingWith: try AvroResolver(writer: writerSchema, reader: Self.avroParsedSchema), limits: limits)
    }

    /// Decodes bytes written with another schema through `resolver` (planned from that writer schema to
    /// this type's): resolved into this type's schema, then read by the generated decoder. Keep the
    /// resolver for later messages of the same writer.
    public init(avroBinary bytes: [UInt8], resolvingWith resolver: AvroResolver, limits: AvroDecodingLimits = .default) throws(AvroError) {
        try self.init(avroBinary: try resolver.reader.encode(try resolver.decode(bytes, limits: limits)), limits: limits)
    }

    /// Decodes a Confluent-framed value, looking the writer schema up in `source` by its ID.
    public init(framed bytes: [UInt8], source: some AvroSchemaSource, limits: AvroDecodingLimits = .default) async throws {
        let (id, payload) = try ConfluentFraming.split(bytes)
        let writer = try await source.writerSchema(id: id)
        try self.init(avroBinary: payload, writerSchema: writer, limits: limits)
    }
}

extension AvroSchema {
    /// Parses the schema text of a generated type. The text is the rendering of a schema the generator
    /// parsed, so it parses; if a generated file was edited by hand so that it does not, this stops with
    /// the parser's message rather than decode with a wrong schema.
    public static func generated(_ text: String) -> AvroSchema {
        do {
            return try AvroSchema(parsing: text)
        } catch {
            preconditionFailure("the schema text of a generated type does not parse (\(error)); regenerate the file")
        }
    }
}

/// A Swift type generated from an Avro `fixed`: exactly ``size`` bytes, checked when made.
public protocol AvroFixed: Sendable, Hashable {
    /// The schema's size in bytes.
    static var size: Int { get }
    /// The bytes, exactly ``size`` of them.
    var bytes: [UInt8] { get }
    /// Wraps `bytes`; throws unless there are exactly ``size``.
    init(_ bytes: [UInt8]) throws(AvroError)
}

extension AvroFixed {
    /// Checks a fixed value's size: the check generated initializers call.
    @inlinable
    public static func checkSize(_ bytes: [UInt8]) throws(AvroError) {
        guard bytes.count == size else {
            throw AvroError(.datumMismatch, "\(Self.self) holds exactly \(size) byte(s), got \(bytes.count)")
        }
    }
}
