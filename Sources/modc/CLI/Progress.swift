#if canImport(Glibc)
import Glibc
#endif

/// A single status line on stderr that rewrites itself (`\r`, erase to end of line) as a long command advances:
/// `modc convert: lowering`. It is shown only when stderr is a terminal and `--quiet` is not given, so logs,
/// pipes and tests never see it; `finish()` erases it before the command prints its result.
struct Progress: Sendable {
  /// Whether anything is drawn.
  let isEnabled: Bool
  /// Prefix of every status, e.g. `modc convert`.
  let prefix: String

  init(prefix: String, enabled: Bool) {
    self.prefix = prefix
    self.isEnabled = enabled
  }

  /// Enabled when stderr is a TTY and `--quiet` is absent.
  init(command: String, _ args: ParsedArguments) {
    self.init(prefix: "modc \(command)", enabled: Progress.shouldShow(stderrIsTTY: isatty(2) != 0, quiet: args.flag("--quiet")))
  }

  /// The display rule, separated for tests: a TTY and not quiet.
  static func shouldShow(stderrIsTTY: Bool, quiet: Bool) -> Bool { stderrIsTTY && !quiet }

  /// The bytes one status update writes: carriage return, the text, erase to end of line.
  func line(_ status: String) -> String { "\r\(prefix): \(status)\u{1B}[K" }

  /// Replaces the status line with `status`.
  func update(_ status: String) {
    guard isEnabled else { return }
    Progress.writeRaw(line(status))
  }

  /// `status (i/n)`, e.g. for bench runs.
  func update(_ status: String, step: Int, of total: Int) {
    update("\(status) \(step)/\(total)")
  }

  /// Erases the status line (call before printing results or errors).
  func finish() {
    guard isEnabled else { return }
    Progress.writeRaw("\r\u{1B}[K")
  }

  /// Writes without adding a newline (`writeStderr` always ends lines).
  private static func writeRaw(_ text: String) {
    let bytes = Array(text.utf8)
    bytes.withUnsafeBytes { b in
      var off = 0
      while off < b.count, let base = b.baseAddress {
        let n = write(2, base + off, b.count - off)
        if n <= 0 { break }
        off += n
      }
    }
  }
}
