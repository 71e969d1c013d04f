import CanonCore
import Foundation

/// A progress line for long offline commands: drawn on standard error when it is a terminal (redrawn in
/// place, at most ten times a second, cleared at the end), nothing at all when it is piped or a file, so
/// scripts and logs see only the command's output.
final class ProgressLine {
    private let isTerminal: Bool
    private var lastDraw: UInt64 = 0
    private var drawn = false

    /// `isTerminal` defaults to whether standard error is a terminal.
    init(isTerminal: Bool = isatty(2) == 1) {
        self.isTerminal = isTerminal
    }

    /// Shows `report` (skipped when the last one was drawn less than 100 ms ago).
    func update(_ report: ProgressReport) {
        guard isTerminal else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard !drawn || now - lastDraw >= 100_000_000 else { return }
        lastDraw = now
        drawn = true
        // Carriage return, the text, erase to the end of the line.
        Output.write(Array("\r\(report.text)\u{1B}[K".utf8), to: 2)
    }

    /// Clears the line (before the command's own output or error).
    func finish() {
        guard drawn else { return }
        drawn = false
        Output.write(Array("\r\u{1B}[K".utf8), to: 2)
    }
}
