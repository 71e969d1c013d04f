import CanonAvro
import Testing

@Suite struct SmokeTests {
    @Test func compiles() {}
}
