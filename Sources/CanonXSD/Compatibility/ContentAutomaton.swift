/// A content model as a finite automaton over child elements: Thompson's construction, with
/// occurrence ranges unrolled and `xs:all` as the automaton of the subsets already seen.
///
/// XML Schema's Unique Particle Attribution rule makes every content model deterministic in its
/// elements, but the checker does not rely on it: it determinizes the reader's automaton on the fly.
struct ContentAutomaton {
    enum Symbol {
        case element(ElementDecl)
        case any(Wildcard)
    }

    private(set) var epsilon: [[Int]] = []
    private(set) var edges: [[(Symbol, Int)]] = []
    private(set) var start = 0
    private(set) var accept = 0

    /// Most elements in one `xs:all` (its automaton has 2^n states).
    static let maximumAllElements = 12

    /// The automaton of `particle`; each state costs a step of `resolver`'s budget.
    init(_ particle: Particle, resolver: ComponentResolver) throws(XSDError) {
        start = newState()
        accept = newState()
        let end = try build(particle, from: start, resolver: resolver)
        link(end, accept)
    }

    private mutating func newState() -> Int {
        epsilon.append([])
        edges.append([])
        return epsilon.count - 1
    }

    private mutating func link(_ from: Int, _ to: Int) { epsilon[from].append(to) }

    /// Adds `particle` after state `from`; returns the state after it.
    private mutating func build(_ particle: Particle, from: Int, resolver: ComponentResolver) throws(XSDError) -> Int {
        let (min, max): (Int, Int?)
        switch particle {
        case .element(_, let a, let b), .any(_, let a, let b), .sequence(_, let a, let b), .choice(_, let a, let b), .all(_, let a, let b):
            (min, max) = (a, b)
        }
        var current = from
        for _ in 0..<min { current = try once(particle, from: current, resolver: resolver) }
        if let max {
            guard max >= min else { return current }
            let end = newState()
            for _ in min..<max {
                link(current, end)
                current = try once(particle, from: current, resolver: resolver)
            }
            link(current, end)
            return end
        }
        // Unbounded: a loop through one more copy.
        let loop = newState()
        link(current, loop)
        let after = try once(particle, from: loop, resolver: resolver)
        link(after, loop)
        return loop
    }

    /// One occurrence of `particle` (its range ignored) after `from`.
    private mutating func once(_ particle: Particle, from: Int, resolver: ComponentResolver) throws(XSDError) -> Int {
        try resolver.spend()
        switch particle {
        case .element(let decl, _, _):
            let end = newState()
            for member in resolver.substitutionFamily(decl) { edges[from].append((.element(member), end)) }
            return end
        case .any(let wildcard, _, _):
            let end = newState()
            edges[from].append((.any(wildcard), end))
            return end
        case .sequence(let items, _, _):
            var current = from
            for item in items { current = try build(item, from: current, resolver: resolver) }
            return current
        case .choice(let items, _, _):
            // An empty choice matches nothing: its end is not reachable.
            let end = newState()
            for item in items {
                let branch = newState()
                link(from, branch)
                link(try build(item, from: branch, resolver: resolver), end)
            }
            return end
        case .all(let all, _, _):
            // Items that may not occur (maxOccurs 0) are no items.
            let items = all.filter {
                if case .element(_, _, let max) = $0 { return max != 0 }
                return true
            }
            guard items.count <= Self.maximumAllElements else {
                throw XSDError(
                    "an xs:all of \(items.count) elements is not compared (at most \(Self.maximumAllElements)); judged incompatible",
                    isLimit: true)
            }
            // A state per subset of the items seen; the end is reached when every required item is in.
            let count = 1 << items.count
            try resolver.spend(count)
            let base = epsilon.count
            for _ in 0..<count { _ = newState() }
            let end = newState()
            link(from, base)
            var required = 0
            for (i, item) in items.enumerated() {
                if case .element(_, let min, _) = item, min == 0 { continue }
                required |= 1 << i
            }
            for subset in 0..<count {
                if subset & required == required { link(base + subset, end) }
                for (i, item) in items.enumerated() where subset & (1 << i) == 0 {
                    guard case .element(let decl, _, _) = item else { continue }
                    for member in resolver.substitutionFamily(decl) {
                        edges[base + subset].append((.element(member), base + (subset | 1 << i)))
                    }
                }
            }
            return end
        }
    }

    /// The states reachable from `states` without reading an element, sorted.
    func closure(_ states: [Int]) -> [Int] {
        var seen = Set(states)
        var stack = states
        while let s = stack.popLast() {
            for t in epsilon[s] where seen.insert(t).inserted { stack.append(t) }
        }
        return seen.sorted()
    }

    /// The transitions out of `states` (no closure taken).
    func transitions(_ states: [Int]) -> [(Symbol, Int)] { states.flatMap { edges[$0] } }

    func isAccepting(_ states: [Int]) -> Bool { states.contains(accept) }

    var stateCount: Int { epsilon.count }
    func epsilonTargets(_ state: Int) -> [Int] { epsilon[state] }
    func edgesFrom(_ state: Int) -> [(Symbol, Int)] { edges[state] }
}
