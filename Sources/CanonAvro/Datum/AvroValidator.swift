/// Strict validation of encoded datums by a program compiled once per schema: what the log's write-time
/// validation runs for every record.
///
/// ``AvroSchema/validate(_:limits:)`` walks the schema graph node by node. This compiles the graph into a
/// flat list of instructions first: records are inlined (a record that contains itself becomes a routine
/// that is called), arrays and maps become loops, unions jump tables; running it is one loop over that
/// list, with no recursion and no per-node bookkeeping. It accepts exactly what `validate` accepts:
/// whenever the program meets a problem, or a limit it cannot check cheaply, it hands the datum to
/// `validate`, which decides and names the path and byte of the error. A `validate` that accepts settles
/// it, so the program can only make validation faster, never stricter or looser.
public final class AvroValidator: Sendable {
    /// The schema datums are checked against.
    public let schema: AvroSchema
    private let program: [Instruction]
    /// Union branch targets (instruction indexes), per union.
    private let targets: [Int32]
    /// The deepest nesting of records, unions, arrays and maps in the main program (as `validate` counts
    /// it); deeper limits than that need no check while no routine is called.
    private let maximumDepth: Int

    /// Compiles the validation program of `schema`'s root type.
    public init(_ schema: AvroSchema) {
        self.schema = schema
        var compiler = Compiler(plan: schema.plan)
        compiler.compileMain(schema.root)
        program = compiler.code
        targets = compiler.targets
        maximumDepth = compiler.mainDepth
    }

    /// Checks that `bytes[start...]` hold exactly one datum of the schema, as
    /// ``AvroSchema/validate(_:from:limits:)`` does (and with its errors).
    public func validate(_ bytes: [UInt8], from start: Int = 0, limits: AvroDecodingLimits = .default) throws(AvroError) {
        precondition(start >= 0 && start <= bytes.count, "start outside the bytes")
        // Frames keep positions and counts in 32 bits: a datum over 2 GiB goes to the schema walk.
        let valid =
            limits.maxDepth >= maximumDepth && bytes.count - start <= Int(Int32.max)
            && bytes.withUnsafeBytes { all in
                program.withUnsafeBufferPointer { code in
                    targets.withUnsafeBufferPointer { targets in
                        Self.run(code, targets, UnsafeRawBufferPointer(rebasing: all[start...]), limits)
                    }
                }
            }
        if !valid { try schema.validate(bytes, from: start, limits: limits) }
    }

    // MARK: - The program

    enum Op: UInt8, Sendable {
        case end, boolean, int, long, float, double, bytes, string, uuidString
        /// `a`: precision.
        case decimalBytes
        /// `a`: size.
        case fixed
        /// `a`: size, `b`: precision.
        case decimalFixed
        /// `a`: symbol count.
        case enumeration
        /// `a`: the first branch target in `targets`, `b`: branch count.
        case union
        /// `a`: the instruction to continue at.
        case jump
        /// An array or map: `a`: the instruction after the loop, `b`: the fewest bytes an item takes.
        case loop
        /// A map key (a UTF-8 string) at the start of a map's item.
        case mapKey
        /// The end of an item: `a` the loop's instruction.
        case next
        /// Calls the routine of a record that contains itself: `a` its first instruction, `b` the nesting
        /// at the call, `c` the routine's own deepest nesting.
        case call
        case ret
    }

    struct Instruction: Sendable {
        var op: Op
        var a: Int32 = 0
        var b: Int32 = 0
        var c: Int32 = 0
    }

    /// A loop or a call in progress.
    private struct Frame {
        /// For a loop: its instruction; for a call: the instruction to return to.
        var pc: Int32
        /// Items left in the current block (loops), or -1 (calls).
        var remaining: Int32
        /// Items so far (loops), or the nesting added by the call (calls).
        var seen: Int32
        /// Where the current block must end when it declared its byte size, else -1.
        var end: Int32
    }

    /// Nested loops and calls the program keeps track of (a small stack buffer); deeper data goes to
    /// the schema walk.
    private static let stackCapacity = 32

    /// Runs the program over `input`; false when the datum is invalid or needs a check the program leaves
    /// to `validate`. Every check is the one `AvroBinaryReader` makes for the schema walk (varint forms,
    /// lengths against the bytes left and `maxLength`, `maxTotalSize`, block counts against the bytes
    /// left and `maxCollectionItems`, declared block sizes, indexes, UTF-8, uuid, decimal precision), done
    /// inline on a local position: no errors are built, so nothing is allocated.
    private static func run(
        _ code: UnsafeBufferPointer<Instruction>, _ targets: UnsafeBufferPointer<Int32>,
        _ input: UnsafeRawBufferPointer, _ limits: AvroDecodingLimits
    ) -> Bool {
        withUnsafeTemporaryAllocation(of: Frame.self, capacity: stackCapacity) { stack in
            var c = Cursor(input: input, limits: limits)
            var top = 0
            var depth = 0  // nesting added by calls in progress
            var pc = 0
            while true {
                let ins = code[pc]
                switch ins.op {
                case .end:
                    return c.pos == c.count
                case .boolean:
                    guard c.pos < c.count, c.input[c.pos] <= 1 else { return false }
                    c.pos += 1
                case .int:
                    guard c.int() != nil else { return false }
                case .long:
                    guard c.long() != nil else { return false }
                case .float:
                    guard c.count - c.pos >= 4 else { return false }
                    c.pos += 4
                case .double:
                    guard c.count - c.pos >= 8 else { return false }
                    c.pos += 8
                case .bytes:
                    guard let n = c.length() else { return false }
                    c.pos += n
                case .string, .mapKey:
                    guard let n = c.length(), c.utf8(n) else { return false }
                    c.pos += n
                case .uuidString:
                    guard let n = c.length(), n == 36, AvroSchema.isUUID(UnsafeRawBufferPointer(rebasing: c.input[c.pos..<(c.pos + n)]))
                    else { return false }
                    c.pos += n
                case .decimalBytes:
                    guard let n = c.length(), n > 0,
                        DecimalLimit.fits(UnsafeRawBufferPointer(rebasing: c.input[c.pos..<(c.pos + n)]), precision: Int(ins.a))
                    else { return false }
                    c.pos += n
                case .fixed:
                    guard c.count - c.pos >= Int(ins.a) else { return false }
                    c.pos += Int(ins.a)
                case .decimalFixed:
                    let n = Int(ins.a)
                    guard n > 0, c.count - c.pos >= n,
                        DecimalLimit.fits(UnsafeRawBufferPointer(rebasing: c.input[c.pos..<(c.pos + n)]), precision: Int(ins.b))
                    else { return false }
                    c.pos += n
                case .enumeration:
                    guard let i = c.int(), i >= 0, i < ins.a else { return false }
                case .union:
                    guard let i = c.long(), i >= 0, i < Int64(ins.b) else { return false }
                    pc = Int(targets[Int(ins.a) + Int(i)])
                    continue
                case .jump:
                    pc = Int(ins.a)
                    continue
                case .loop:
                    guard let (n, end) = c.block(minimumItemSize: Int(ins.b), itemsSoFar: 0) else { return false }
                    if n == 0 {
                        pc = Int(ins.a)
                        continue
                    }
                    guard top < stackCapacity else { return false }
                    stack[top] = Frame(pc: Int32(pc), remaining: Int32(n), seen: Int32(n), end: Int32(end))
                    top += 1
                case .next:
                    stack[top - 1].remaining -= 1
                    if stack[top - 1].remaining > 0 {
                        pc = Int(stack[top - 1].pc) + 1
                        continue
                    }
                    // The block is done: its declared size must match, then the next block or the end.
                    let frame = stack[top - 1]
                    if frame.end >= 0 && c.pos != Int(frame.end) { return false }
                    let loop = code[Int(frame.pc)]
                    guard let (n, end) = c.block(minimumItemSize: Int(loop.b), itemsSoFar: Int(frame.seen)) else { return false }
                    if n == 0 {
                        top -= 1
                        pc = Int(loop.a)
                        continue
                    }
                    stack[top - 1] = Frame(pc: frame.pc, remaining: Int32(n), seen: frame.seen + Int32(n), end: Int32(end))
                    pc = Int(frame.pc) + 1
                    continue
                case .call:
                    guard top < stackCapacity, depth + Int(ins.b) + Int(ins.c) <= limits.maxDepth else { return false }
                    stack[top] = Frame(pc: Int32(pc + 1), remaining: -1, seen: ins.b, end: -1)
                    top += 1
                    depth += Int(ins.b)
                    pc = Int(ins.a)
                    continue
                case .ret:
                    top -= 1
                    depth -= Int(stack[top].seen)
                    pc = Int(stack[top].pc)
                    continue
                }
                pc += 1
            }
        }
    }

    /// The position in the datum, with the reads the program makes: each is the check
    /// `AvroBinaryReader` makes, answering nil instead of building an error.
    private struct Cursor {
        let input: UnsafeRawBufferPointer
        let count: Int
        let limits: AvroDecodingLimits
        var pos = 0
        /// String and bytes lengths, as `AvroBinaryReader.account` counts them.
        var total = 0

        init(input: UnsafeRawBufferPointer, limits: AvroDecodingLimits) {
            self.input = input
            self.count = input.count
            self.limits = limits
        }

        /// A zig-zag varint of at most 10 bytes that fits 64 bits.
        @inline(__always) mutating func long() -> Int64? {
            guard pos < count else { return nil }
            let first = input[pos]
            if first < 0x80 {
                pos += 1
                return Int64(first >> 1) ^ (0 &- Int64(first & 1))
            }
            var result: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard pos < count else { return nil }
                let b = input[pos]
                pos += 1
                if shift == 63 && b > 0x01 { return nil }
                result |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
            }
            return Int64(bitPattern: (result >> 1) ^ (0 &- (result & 1)))
        }

        /// A zig-zag varint of at most 5 bytes that fits 32 bits.
        @inline(__always) mutating func int() -> Int32? {
            var result: UInt32 = 0, shift: UInt32 = 0
            while true {
                guard pos < count else { return nil }
                let b = input[pos]
                pos += 1
                if shift == 28 && b > 0x0F { return nil }
                result |= UInt32(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
            }
            return Int32(bitPattern: (result >> 1) ^ (0 &- (result & 1)))
        }

        /// A length prefix: not negative, within the bytes left and the limits.
        @inline(__always) mutating func length() -> Int? {
            guard let n = long(), n >= 0, n <= Int64(count - pos), n <= Int64(limits.maxLength) else { return nil }
            total += Int(n)
            guard total <= limits.maxTotalSize else { return nil }
            return Int(n)
        }

        /// A block header: the item count (0 at the end) and where a block that declared its byte size
        /// must end (-1 otherwise).
        @inline(__always) mutating func block(minimumItemSize: Int, itemsSoFar: Int) -> (count: Int, end: Int)? {
            guard var n = long() else { return nil }
            var end = -1
            if n < 0 {
                guard n != .min, let size = long(), size >= 0, size <= Int64(count - pos) else { return nil }
                n = -n
                end = pos + Int(size)
            }
            if n == 0 { return (0, -1) }
            if minimumItemSize > 0 && n > Int64((count - pos) / minimumItemSize) { return nil }
            guard n <= Int64(limits.maxCollectionItems - itemsSoFar) else { return nil }
            return (Int(n), end)
        }

        /// Whether the `n` bytes at `pos` are UTF-8 (ASCII tested eight bytes at a time, reading past the
        /// string only within the input).
        @inline(__always) func utf8(_ n: Int) -> Bool {
            if n <= 8 && pos + 8 <= count {
                let mask: UInt64 = n == 8 ? .max : (1 << UInt64(8 * n)) &- 1
                if UInt64(littleEndian: input.loadUnaligned(fromByteOffset: pos, as: UInt64.self)) & mask & 0x8080_8080_8080_8080 == 0 {
                    return true
                }
            } else if n <= 16 && pos + 16 <= count {
                let mask: UInt64 = n == 16 ? .max : (1 << UInt64(8 * (n - 8))) &- 1
                let words =
                    input.loadUnaligned(fromByteOffset: pos, as: UInt64.self)
                    | UInt64(littleEndian: input.loadUnaligned(fromByteOffset: pos + 8, as: UInt64.self)) & mask
                if words & 0x8080_8080_8080_8080 == 0 { return true }
            }
            return UTF8Validation.firstInvalidByte(UnsafeRawBufferPointer(rebasing: input[pos..<(pos + n)])) == nil
        }
    }

    // MARK: - Compiling

    private struct Compiler {
        let plan: CodecPlan
        var code: [Instruction] = []
        var targets: [Int32] = []
        var mainDepth = 0
        /// Routines by record node, and the call sites waiting for their address.
        var routines: [Int: (start: Int32, depth: Int32)] = [:]
        var pendingCalls: [(site: Int, node: Int)] = []
        var routineQueue: [Int] = []

        init(plan: CodecPlan) { self.plan = plan }

        mutating func compileMain(_ root: Int) {
            var deepest = 0
            emit(root, inlining: [], depth: 0, deepest: &deepest)
            code.append(Instruction(op: .end))
            mainDepth = deepest
            var compiled: Set<Int> = []
            while let node = routineQueue.popLast() {
                guard compiled.insert(node).inserted else { continue }
                let start = Int32(code.count)
                var routineDeepest = 0
                emitRecordFields(node, inlining: [node], depth: 1, deepest: &routineDeepest)
                code.append(Instruction(op: .ret))
                routines[node] = (start, Int32(max(routineDeepest, 1)))
            }
            for (site, node) in pendingCalls {
                code[site].a = routines[node]!.start
                code[site].c = routines[node]!.depth
            }
        }

        /// Emits the checks for `node`; `depth` is the nesting (records, unions, arrays, maps) around it.
        mutating func emit(_ node: Int, inlining: [Int], depth: Int, deepest: inout Int) {
            let op = plan.ops[node]
            let strict = plan.strictChecks[node]
            switch op.kind {
            case .null: break
            case .boolean: code.append(Instruction(op: .boolean))
            case .int: code.append(Instruction(op: .int))
            case .long: code.append(Instruction(op: .long))
            case .float: code.append(Instruction(op: .float))
            case .double: code.append(Instruction(op: .double))
            case .bytes: code.append(strict > 0 ? Instruction(op: .decimalBytes, a: strict) : Instruction(op: .bytes))
            case .string: code.append(Instruction(op: strict == -1 ? .uuidString : .string))
            case .fixed: code.append(strict > 0 ? Instruction(op: .decimalFixed, a: op.a, b: strict) : Instruction(op: .fixed, a: op.a))
            case .enumeration: code.append(Instruction(op: .enumeration, a: op.b))
            case .record:
                if inlining.contains(node) {
                    // A record inside itself: a call to its routine (compiled once, after the main program).
                    pendingCalls.append((code.count, node))
                    routineQueue.append(node)
                    code.append(Instruction(op: .call, b: Int32(depth)))
                } else {
                    emitRecordFields(node, inlining: inlining + [node], depth: depth + 1, deepest: &deepest)
                }
            case .union:
                deepest = max(deepest, depth + 1)
                let first = targets.count
                targets += [Int32](repeating: 0, count: Int(op.b))
                code.append(Instruction(op: .union, a: Int32(first), b: op.b))
                var jumps: [Int] = []
                for k in 0..<Int(op.b) {
                    let branch = Int(plan.branches[Int(op.a) + k])
                    targets[first + k] = Int32(code.count)
                    emit(branch, inlining: inlining, depth: depth + 1, deepest: &deepest)
                    jumps.append(code.count)
                    code.append(Instruction(op: .jump))
                }
                for j in jumps { code[j].a = Int32(code.count) }
            case .array, .map:
                deepest = max(deepest, depth + 1)
                let child = Int(op.a)
                let isMap = op.kind == .map
                let loop = code.count
                code.append(Instruction(op: .loop, b: Int32(isMap ? 1 : 0) + plan.ops[child].minimumSize))
                if isMap { code.append(Instruction(op: .mapKey)) }
                emit(child, inlining: inlining, depth: depth + 1, deepest: &deepest)
                code.append(Instruction(op: .next, a: Int32(loop)))
                code[loop].a = Int32(code.count)
            }
        }

        mutating func emitRecordFields(_ node: Int, inlining: [Int], depth: Int, deepest: inout Int) {
            deepest = max(deepest, depth)
            let op = plan.ops[node]
            for k in Int(op.a)..<Int(op.a + op.b) {
                emit(Int(plan.fieldTypes[k]), inlining: inlining, depth: depth, deepest: &deepest)
            }
        }
    }
}
