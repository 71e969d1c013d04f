import CanonCore
/// Strict validation of encoded Avro datums against one schema, by a program compiled once: what the
/// log's write-time validation runs for every record (``AvroSchema/validate(_:limits:)`` compiles one
/// for a single check).
///
/// The schema graph is compiled into a flat list of instructions: records are inlined (a record that
/// contains itself, or any record once the program has grown past its budget, becomes a routine that is
/// called), arrays and maps become loops, unions jump tables. Running it is one loop over that list, with
/// no recursion. Every read is one of ``AvroBinaryReader``'s checks, so validation, the generic decoder
/// and generated code apply the same rules (varint forms, lengths against the bytes left and
/// `maxLength`, block counts against the bytes left and `maxCollectionItems`, indexes, UTF-8) and fail
/// with the same messages and byte offsets. `maxTotalSize` counts string and bytes payloads only (the
/// validator builds no values; the decoder also counts each value it builds). On top of the encoding, logical types are checked
/// strictly (stricter than plain Avro decoders, which take the underlying type): a `uuid` string must
/// be a UUID (8-4-4-4-12 hex digits, either case), a `decimal`'s unscaled value must fit its precision;
/// and a block that declares its byte size must hold exactly that many bytes of items.
///
/// The program runs in one of two modes:
/// - **fast**: nesting is checked once against the schema's deepest nesting (and per call of a
///   routine), with a small fixed stack of loops and calls; it decides almost every datum;
/// - **exact**: nesting is checked before every instruction, the stack grows as far as `maxDepth`
///   allows. It runs when `maxDepth` is below the schema's nesting or the fast mode cannot decide.
/// Either way an error names the byte offset and, as a JSON path into the schema
/// (`/fields/2/type/1`), the type that could not be read: the path is worked out after the failure,
/// from the failing instruction and the calls in progress, so a valid datum never pays for it.
public final class AvroDatumValidator: Sendable {
    /// The schema datums are checked against.
    public let schema: AvroSchema
    private let program: [Instruction]
    /// Union branch targets (instruction indexes), per union.
    private let targets: [Int32]
    /// Per instruction: the nesting (records, unions, arrays, maps) it runs at, relative to its routine.
    private let depths: [Int32]
    /// Per instruction: the place in the schema it reads (an index into `places`).
    private let placeOf: [Int32]
    private let places: [Place]
    /// The deepest nesting of the main program; deeper limits than that need no check while no routine
    /// is called.
    private let maximumDepth: Int

    /// Compiles the validation program of `schema`'s root type.
    public init(_ schema: AvroSchema) {
        self.schema = schema
        var compiler = Compiler(plan: schema.plan)
        compiler.compileMain(schema.root)
        program = compiler.code
        targets = compiler.targets
        depths = compiler.depths
        placeOf = compiler.placeOf
        places = compiler.places
        maximumDepth = compiler.mainDepth
    }

    /// Checks that `bytes[start...]` hold exactly one datum of the schema. Byte offsets in errors count
    /// from `start` (so a wire-format prefix can be skipped without copying).
    public func validate(_ bytes: [UInt8], from start: Int = 0, limits: AvroDecodingLimits = .default) throws(AvroError) {
        precondition(start >= 0 && start <= bytes.count, "start outside the bytes")
        let failure = bytes.withUnsafeBytes { all -> AvroError? in
            let input = UnsafeRawBufferPointer(rebasing: all[start...])
            if limits.maxDepth >= maximumDepth {
                switch run(Fast.self, input, limits) {
                case .valid: return nil
                case .invalid(let error): return error
                case .undecided: break
                }
            }
            switch run(Exact.self, input, limits) {
            case .valid: return nil
            case .undecided:
                assertionFailure("the exact mode always decides")
                return nil
            case .invalid(let error): return error
            }
        }
        if let failure { throw failure }
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
        /// Calls a record's routine: `a` its first instruction, `b` the nesting at the call, `c` the
        /// routine's own deepest nesting.
        case call
        case ret
        /// A record that reads nothing (all its fields are null or empty records): only its nesting counts.
        case enter
    }

    struct Instruction: Sendable {
        var op: Op
        var a: Int32 = 0
        var b: Int32 = 0
        var c: Int32 = 0
    }

    /// A place in the schema: where an instruction reads, as a tree of JSON path components.
    struct Place: Sendable {
        /// The enclosing place, or -1 at a routine's (or the program's) root.
        var parent: Int32
        /// The path component from the parent (`/fields/2/type`, `/1`, `/items`, `/values`; empty at a root).
        var component: String
        /// For a record, union, array or map: the nesting once it is entered (relative to the routine);
        /// 0 for other types.
        var depth: Int32
    }

    /// A loop or a call in progress.
    private struct Frame {
        /// For a loop: its instruction; for a call: the instruction to return to.
        var pc: Int
        /// Items left in the current block (loops), or -1 (calls).
        var remaining: Int
        /// Items so far (loops), or the nesting added by the call (calls).
        var seen: Int
        /// Where the current block must end when it declared its byte size, else -1.
        var end: Int
        /// Where the current block's header starts (loops).
        var blockStart: Int
    }

    private protocol Mode {
        /// Whether nesting is checked before every instruction (and the stack may grow to `maxDepth`).
        static var exact: Bool { get }
    }
    private enum Fast: Mode { static var exact: Bool { false } }
    private enum Exact: Mode { static var exact: Bool { true } }

    private enum Outcome {
        case valid
        case invalid(AvroError)
        /// The fast mode met more nesting than its stack or its depth check covers.
        case undecided
    }

    /// Loops and calls the fast mode keeps track of (a stack buffer: `withUnsafeTemporaryAllocation`
    /// allocates on the heap past 1 KiB, and checks the stack at run time unless the size is a constant).
    private static let fastStackCapacity = 16
    /// The most loops and calls the exact mode keeps (each adds at least one level of nesting).
    private static let exactStackLimit = 1 << 16

    /// Runs the program over `input` in `mode`: the fast mode on a fixed stack buffer without the
    /// per-instruction depths, the exact mode on a heap buffer as deep as `maxDepth` allows.
    private func run<M: Mode>(_ mode: M.Type, _ input: UnsafeRawBufferPointer, _ limits: AvroDecodingLimits) -> Outcome {
        if M.exact {
            // Frames are written before they are read: the buffer needs no initialization.
            let capacity = min(max(limits.maxDepth, 0), Self.exactStackLimit) + 2
            return withUnsafeTemporaryAllocation(of: Frame.self, capacity: capacity) { stack in
                depths.withUnsafeBufferPointer { depths in run(M.self, input, limits, stack, depths) }
            }
        }
        return withUnsafeTemporaryAllocation(of: Frame.self, capacity: Self.fastStackCapacity) { stack in
            run(M.self, input, limits, stack, UnsafeBufferPointer(start: nil, count: 0))
        }
    }

    @inline(__always)
    private func run<M: Mode>(
        _ mode: M.Type, _ input: UnsafeRawBufferPointer, _ limits: AvroDecodingLimits, _ stack: UnsafeMutableBufferPointer<Frame>,
        _ depths: UnsafeBufferPointer<Int32>
    ) -> Outcome {
        program.withUnsafeBufferPointer { code in
            targets.withUnsafeBufferPointer { targets in
                var r = AvroBinaryReader(base: input, limits: limits)
                var state = State()
                switch Self.execute(M.self, code, targets, depths, stack, &r, &state) {
                case .valid: return .valid
                case .undecided: return .undecided
                case .failed:
                    var error = Self.explain(state, code, stack, &r)
                    error.location.jsonPath = path(at: state, stack: stack, maxDepth: limits.maxDepth)
                    return .invalid(error)
                }
            }
        }
    }

    /// Where the program is: what a failure needs to name its place.
    private struct State {
        var pc = 0
        var top = 0
        /// Nesting added by the calls in progress.
        var callDepth = 0
        /// Why the program stopped when it is not the failing instruction's read.
        var stop = Stop.read
    }

    private enum Stop {
        /// The instruction's read refused the bytes at the reader's position.
        case read
        /// Nesting past `maxDepth` (exact mode): names the container that went too deep.
        case tooDeep
        /// More loops and calls in progress than the exact mode keeps (only when `maxDepth` is above its
        /// 65,536 frames).
        case stackFull
        /// A block's items do not end where its declared byte size says: names the array or map.
        case blockSize(end: Int, blockStart: Int)
    }

    private enum Verdict { case valid, failed, undecided }

    /// The interpreter. Every read is one of the reader's checks, which leave the position at the item
    /// that fails: ``explain(_:_:_:_:)`` reads it again with the throwing read to say why.
    @inline(__always)
    private static func execute<M: Mode>(
        _ mode: M.Type, _ code: UnsafeBufferPointer<Instruction>, _ targets: UnsafeBufferPointer<Int32>,
        _ depths: UnsafeBufferPointer<Int32>, _ stack: UnsafeMutableBufferPointer<Frame>,
        _ r: inout AvroBinaryReader, _ state: inout State
    ) -> Verdict {
        var pc = 0
        var top = 0
        var callDepth = 0
        defer {
            state.pc = pc
            state.top = top
            state.callDepth = callDepth
        }
        while true {
            let ins = code[pc]
            if M.exact && callDepth + Int(depths[pc]) > r.limits.maxDepth {
                state.stop = .tooDeep
                return .failed
            }
            switch ins.op {
            case .end:
                return r.position == r.base.count ? .valid : .failed
            case .boolean:
                guard r.checkBoolean() else { return .failed }
            case .int:
                guard r.checkInt() != nil else { return .failed }
            case .long:
                guard r.checkLong() != nil else { return .failed }
            case .float:
                guard r.checkFixed(4) else { return .failed }
            case .double:
                guard r.checkFixed(8) else { return .failed }
            case .bytes:
                guard let n = r.checkLength() else { return .failed }
                r.position += n
            case .string, .mapKey:
                guard r.checkString() else { return .failed }
            case .uuidString:
                guard r.checkUUIDString() else { return .failed }
            case .decimalBytes:
                let start = r.position, total = r.totalSize
                guard let n = r.checkLength() else { return .failed }
                guard r.checkDecimal(length: n, precision: Int(ins.a)) else {
                    (r.position, r.totalSize) = (start, total)
                    return .failed
                }
            case .fixed:
                guard r.checkFixed(Int(ins.a)) else { return .failed }
            case .decimalFixed:
                guard r.remaining >= Int(ins.a), r.checkDecimal(length: Int(ins.a), precision: Int(ins.b)) else { return .failed }
            case .enumeration:
                guard r.checkEnumIndex(below: Int(ins.a)) != nil else { return .failed }
            case .union:
                guard let i = r.checkIndex(below: Int(ins.b)) else { return .failed }
                pc = Int(targets[Int(ins.a) + i])
                continue
            case .jump:
                pc = Int(ins.a)
                continue
            case .loop:
                let blockStart = r.position
                guard let (n, end) = r.checkBlockHeader(minimumItemSize: Int(ins.b), itemsSoFar: 0) else { return .failed }
                if n == 0 {
                    pc = Int(ins.a)
                    continue
                }
                guard top < stack.count else {
                    if M.exact {
                        r.position = blockStart
                        state.stop = .stackFull
                        return .failed
                    }
                    return .undecided
                }
                stack[top] = Frame(pc: pc, remaining: n, seen: n, end: end, blockStart: blockStart)
                top += 1
            case .next:
                stack[top - 1].remaining -= 1
                if stack[top - 1].remaining > 0 {
                    pc = stack[top - 1].pc + 1
                    continue
                }
                // The block is done: its declared size must match, then the next block or the end.
                let frame = stack[top - 1]
                if frame.end >= 0 && r.position != frame.end {
                    state.stop = .blockSize(end: frame.end, blockStart: frame.blockStart)
                    return .failed
                }
                let loop = code[frame.pc]
                let blockStart = r.position
                guard let (n, end) = r.checkBlockHeader(minimumItemSize: Int(loop.b), itemsSoFar: frame.seen) else { return .failed }
                if n == 0 {
                    top -= 1
                    pc = Int(loop.a)
                    continue
                }
                stack[top - 1] = Frame(pc: frame.pc, remaining: n, seen: frame.seen + n, end: end, blockStart: blockStart)
                pc = frame.pc + 1
                continue
            case .call:
                if !M.exact {
                    // The routine's deepest nesting must fit, or the exact mode decides.
                    guard callDepth + Int(ins.b) + Int(ins.c) <= r.limits.maxDepth else { return .undecided }
                }
                guard top < stack.count else {
                    if M.exact {
                        state.stop = .stackFull
                        return .failed
                    }
                    return .undecided
                }
                stack[top] = Frame(pc: pc + 1, remaining: -1, seen: Int(ins.b), end: -1, blockStart: 0)
                top += 1
                callDepth += Int(ins.b)
                pc = Int(ins.a)
                continue
            case .ret:
                top -= 1
                callDepth -= stack[top].seen
                pc = stack[top].pc
                continue
            case .enter:
                break
            }
            pc += 1
        }
    }

    /// The error for the failure `state` stopped at: the failing instruction's read done again with the
    /// reader's throwing read, which says why.
    @inline(never)
    private static func explain(
        _ state: State, _ code: UnsafeBufferPointer<Instruction>, _ stack: UnsafeMutableBufferPointer<Frame>,
        _ r: inout AvroBinaryReader
    ) -> AvroError {
        switch state.stop {
        case .tooDeep: return r.depthExceeded()
        case .stackFull:
            return .data(
                .limitExceeded, "more than \(stack.count) nested arrays, maps and recursive records (the validator's limit)",
                offset: r.position)
        case .blockSize(let end, let blockStart):
            return .data(
                .malformedData, "block byte size says its items end at byte \(end), they end at \(r.position)", offset: blockStart)
        case .read: break
        }
        let ins = code[state.pc]
        do throws(AvroError) {
            switch ins.op {
            case .end: try r.expectEnd()
            case .boolean: _ = try r.readBoolean()
            case .int: _ = try r.readInt()
            case .long: _ = try r.readLong()
            case .float: _ = try r.readFloat()
            case .double: _ = try r.readDouble()
            case .bytes: _ = try r.readLength("bytes")
            case .string: try r.skipString()
            case .mapKey: try r.skipString("map key")
            case .uuidString: try r.skipUUIDString()
            case .decimalBytes:
                let n = try r.readLength("bytes")
                try r.skipDecimal(length: n, precision: Int(ins.a))
            case .fixed: try r.skipFixed(Int(ins.a))
            case .decimalFixed:
                try r.skipFixed(Int(ins.a))
                r.position -= Int(ins.a)
                try r.skipDecimal(length: Int(ins.a), precision: Int(ins.b))
            case .enumeration: _ = try r.readEnumIndex(symbolCount: Int(ins.a))
            case .union: _ = try r.readUnionIndex(branchCount: Int(ins.b))
            case .loop: _ = try r.readBlockHeader(minimumItemSize: Int(ins.b), itemsSoFar: 0)
            case .next:
                _ = try r.readBlockHeader(minimumItemSize: Int(code[stack[state.top - 1].pc].b), itemsSoFar: stack[state.top - 1].seen)
            case .jump, .call, .ret, .enter: break
            }
        } catch {
            return error
        }
        // A check and its read disagree: a bug, reported rather than trapped on.
        return .data(.malformedData, "invalid datum (the \(ins.op) check refused what its read accepts)", offset: r.position)
    }

    /// The JSON path of the failure `state` stopped at: the places of the calls in progress, then the
    /// failing instruction's place (or the container `state.stop` names).
    @inline(never)
    private func path(at state: State, stack: UnsafeMutableBufferPointer<Frame>, maxDepth: Int) -> String {
        var path = ""
        var callDepth = 0
        for frame in stack[0..<state.top] where frame.remaining == -1 {
            path += placePath(placeOf[frame.pc - 1])
            callDepth += frame.seen
        }
        var place = placeOf[state.pc]
        switch state.stop {
        case .tooDeep:
            // The outermost container the routine entered past the limit.
            let tooDeep = Int32(clamping: maxDepth + 1 - callDepth)
            var p = place
            while p >= 0 && !(places[Int(p)].depth == tooDeep) { p = places[Int(p)].parent }
            if p >= 0 { place = p }
        case .blockSize:
            if places[Int(place)].parent >= 0 { place = places[Int(place)].parent }
        case .read, .stackFull: break
        }
        path += placePath(place)
        return path.isEmpty ? "/" : path
    }

    private func placePath(_ index: Int32) -> String {
        var components: [String] = []
        var p = index
        while p >= 0 {
            components.append(places[Int(p)].component)
            p = places[Int(p)].parent
        }
        return components.reversed().joined()
    }

    // MARK: - Compiling

    private struct Compiler {
        let plan: CodecPlan
        var code: [Instruction] = []
        var depths: [Int32] = []
        var placeOf: [Int32] = []
        var places: [Place] = []
        var targets: [Int32] = []
        var mainDepth = 0
        /// Routines by record node, and the call sites waiting for their address.
        var routines: [Int: (start: Int32, depth: Int32)] = [:]
        var pendingCalls: [(site: Int, node: Int)] = []
        var routineQueue: [Int] = []
        /// Instructions an inlined record takes, per record node (memoized).
        var sizes: [Int: Int] = [:]

        /// Past this many instructions, records are called instead of inlined: a schema that uses a
        /// record many times, nested, cannot make the program grow exponentially.
        static let inliningBudget = 1 << 15

        init(plan: CodecPlan) { self.plan = plan }

        mutating func compileMain(_ root: Int) {
            var deepest = 0
            let rootPlace = addPlace(parent: -1, "", node: root, depth: 0)
            emit(root, inlining: [], depth: 0, place: rootPlace, deepest: &deepest)
            append(.end, depth: 0, place: rootPlace)
            mainDepth = deepest
            var compiled: Set<Int> = []
            while let node = routineQueue.popLast() {
                guard compiled.insert(node).inserted else { continue }
                let start = Int32(code.count)
                var routineDeepest = 0
                let place = addPlace(parent: -1, "", node: node, depth: 0)
                emitRecord(node, inlining: [node], depth: 1, place: place, deepest: &routineDeepest)
                append(.ret, depth: 0, place: place)
                routines[node] = (start, Int32(max(routineDeepest, 1)))
            }
            for (site, node) in pendingCalls {
                code[site].a = routines[node]!.start
                code[site].c = routines[node]!.depth
            }
        }

        mutating func addPlace(parent: Int32, _ component: String, node: Int, depth: Int) -> Int32 {
            let container: Bool
            switch plan.ops[node].kind {
            case .record, .union, .array, .map: container = true
            default: container = false
            }
            places.append(Place(parent: parent, component: component, depth: container ? Int32(depth + 1) : 0))
            return Int32(places.count - 1)
        }

        mutating func append(_ ins: Instruction, depth: Int, place: Int32) {
            code.append(ins)
            depths.append(Int32(depth))
            placeOf.append(place)
        }

        mutating func append(_ op: Op, depth: Int, place: Int32) {
            append(Instruction(op: op), depth: depth, place: place)
        }

        /// Emits the checks for `node` at `place`; `depth` is the nesting (records, unions, arrays,
        /// maps) around it.
        mutating func emit(_ node: Int, inlining: [Int], depth: Int, place: Int32, deepest: inout Int) {
            let op = plan.ops[node]
            let strict = plan.strictChecks[node]
            switch op.kind {
            case .null: break
            case .boolean: append(.boolean, depth: depth, place: place)
            case .int: append(.int, depth: depth, place: place)
            case .long: append(.long, depth: depth, place: place)
            case .float: append(.float, depth: depth, place: place)
            case .double: append(.double, depth: depth, place: place)
            case .bytes:
                append(strict > 0 ? Instruction(op: .decimalBytes, a: strict) : Instruction(op: .bytes), depth: depth, place: place)
            case .string: append(strict == -1 ? .uuidString : .string, depth: depth, place: place)
            case .fixed:
                append(
                    strict > 0 ? Instruction(op: .decimalFixed, a: op.a, b: strict) : Instruction(op: .fixed, a: op.a), depth: depth,
                    place: place)
            case .enumeration: append(Instruction(op: .enumeration, a: op.b), depth: depth, place: place)
            case .record:
                if inlining.contains(node) || code.count + size(of: node) > Self.inliningBudget {
                    // A record inside itself, or past the budget: a call to its routine (compiled once,
                    // after the main program).
                    deepest = max(deepest, depth + 1)
                    pendingCalls.append((code.count, node))
                    routineQueue.append(node)
                    append(Instruction(op: .call, b: Int32(depth)), depth: depth, place: place)
                } else {
                    emitRecord(node, inlining: inlining + [node], depth: depth + 1, place: place, deepest: &deepest)
                }
            case .union:
                deepest = max(deepest, depth + 1)
                let first = targets.count
                targets += [Int32](repeating: 0, count: Int(op.b))
                append(Instruction(op: .union, a: Int32(first), b: op.b), depth: depth + 1, place: place)
                var jumps: [Int] = []
                for k in 0..<Int(op.b) {
                    let branch = Int(plan.branches[Int(op.a) + k])
                    targets[first + k] = Int32(code.count)
                    let branchPlace = addPlace(parent: place, "/\(k)", node: branch, depth: depth + 1)
                    emit(branch, inlining: inlining, depth: depth + 1, place: branchPlace, deepest: &deepest)
                    jumps.append(code.count)
                    append(.jump, depth: depth + 1, place: place)
                }
                for j in jumps { code[j].a = Int32(code.count) }
            case .array, .map:
                deepest = max(deepest, depth + 1)
                let child = Int(op.a)
                let isMap = op.kind == .map
                let items = addPlace(parent: place, isMap ? "/values" : "/items", node: child, depth: depth + 1)
                let loop = code.count
                append(Instruction(op: .loop, b: Int32(isMap ? 1 : 0) + plan.ops[child].minimumSize), depth: depth + 1, place: items)
                if isMap { append(.mapKey, depth: depth + 1, place: items) }
                emit(child, inlining: inlining, depth: depth + 1, place: items, deepest: &deepest)
                append(Instruction(op: .next, a: Int32(loop)), depth: depth + 1, place: items)
                code[loop].a = Int32(code.count)
            }
        }

        /// The fields of record `node`, entered (so at `depth`, its own nesting).
        mutating func emitRecord(_ node: Int, inlining: [Int], depth: Int, place: Int32, deepest: inout Int) {
            deepest = max(deepest, depth)
            let op = plan.ops[node]
            let before = code.count
            for k in Int(op.a)..<Int(op.a + op.b) {
                let field = Int(plan.fieldTypes[k])
                let fieldPlace = addPlace(parent: place, "/fields/\(k - Int(op.a))/type", node: field, depth: depth)
                emit(field, inlining: inlining, depth: depth, place: fieldPlace, deepest: &deepest)
            }
            if code.count == before { append(.enter, depth: depth, place: place) }
        }

        /// Instructions `node` takes inlined (an estimate that never undercounts by much; saturating).
        mutating func size(of node: Int, visiting: Set<Int> = []) -> Int {
            if let known = sizes[node] { return known }
            // Subtrees without recursion (those with a structure hash) are memoized.
            let memoizable = plan.structureHashes[node] != nil
            let op = plan.ops[node]
            var total: Int
            switch op.kind {
            case .null: total = 0
            case .record:
                if visiting.contains(node) { return 1 }
                total = 1
                for k in Int(op.a)..<Int(op.a + op.b) {
                    total += size(of: Int(plan.fieldTypes[k]), visiting: visiting.union([node]))
                    if total > Self.inliningBudget { break }
                }
            case .union:
                total = 1
                for k in 0..<Int(op.b) {
                    total += 1 + size(of: Int(plan.branches[Int(op.a) + k]), visiting: visiting)
                    if total > Self.inliningBudget { break }
                }
            case .array, .map: total = 3 + size(of: Int(op.a), visiting: visiting)
            default: total = 1
            }
            total = min(total, Self.inliningBudget + 1)
            if memoizable || visiting.isEmpty { sizes[node] = total }
            return total
        }
    }
}
