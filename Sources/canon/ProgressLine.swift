import CanonCore
import Foundation

/// A progress line for long offline commands: drawn on standard error when it is a terminal (redrawn in
/// place at every report, cut to the terminal's width so that it never wraps, cleared at the end),
/// nothing at all when it is piped or a file, so scripts and logs see only the command's output.
final class ProgressLine {
    private let width: Int?
    private var drawn = false

    /// `width` defaults to standard error's terminal width, nil when it is not a terminal (nothing is
    /// drawn then).
    init(width: Int? = ProgressLine.terminalWidth()) {
        self.width = width
    }

    /// The columns of the terminal on standard error, or nil when it is not one.
    static func terminalWidth() -> Int? {
        guard isatty(2) == 1 else { return nil }
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// Shows `report` (every report is drawn: each names the item being worked on now).
    func update(_ report: ProgressReport) {
        guard let width else { return }
        drawn = true
        // Carriage return, the text (one column short of the width: no wrap), erase to the end of the line.
        Output.write(Array("\r\(report.text.prefix(max(width - 1, 1)))\u{1B}[K".utf8), to: 2)
    }

    /// Clears the line (before the command's own output or error).
    func finish() {
        guard drawn else { return }
        drawn = false
        Output.write(Array("\r\u{1B}[K".utf8), to: 2)
    }
}
