import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The case each campaign is running, kept where a fatal-signal handler can print it without allocating, plus a
/// watchdog that aborts (printing the case) when one case runs too long. This is how a crash or hang in the test
/// process names the seed that caused it.
enum CrashNotes {
  static let slots = 8
  static let slotBytes = 512
  /// `slots` NUL-terminated notes; written by the campaign threads, read by the signal handler.
  nonisolated(unsafe) static let buffer: UnsafeMutablePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: slots * slotBytes)
    p.initialize(repeating: 0, count: slots * slotBytes)
    return p
  }()
  /// Start time (monotonic ns) of each slot's running case, 0 when idle.
  static let started = Mutex<[UInt64]>(Array(repeating: 0, count: slots))
  static let names = Mutex<[String]>([])
  /// A case running longer than this is a hang: the process prints the case and aborts.
  static let hangSeconds: UInt64 = 20

  static func slot(for format: String) -> Int {
    installOnce
    return names.withLock { n in
      if let i = n.firstIndex(of: format) { return i }
      n.append(format)
      return (n.count - 1) % slots
    }
  }

  static func set(_ slot: Int, _ note: String) {
    let bytes = Array(("fuzz case: " + note + "\n").utf8.prefix(slotBytes - 1))
    let base = buffer + slot * slotBytes
    for (i, b) in bytes.enumerated() { base[i] = CChar(bitPattern: b) }
    base[bytes.count] = 0
    started.withLock { $0[slot] = DispatchTime.now().uptimeNanoseconds }
  }

  static func clear(_ slot: Int) {
    started.withLock { $0[slot] = 0 }
    buffer[slot * slotBytes] = 0
  }

  /// Writes every non-empty note to stderr (async-signal-safe: only write(2)).
  static func dump() {
    for s in 0..<slots {
      let p = buffer + s * slotBytes
      if p[0] != 0 { _ = write(2, p, strlen(p)) }
    }
  }

  private static let installOnce: Void = {
    for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { sig in
        CrashNotes.dump()
        signal(sig, SIG_DFL)
        raise(sig)
      }
      sigaction(sig, &action, nil)
    }
    let watchdog = Thread {
      while true {
        sleep(1)
        let now = DispatchTime.now().uptimeNanoseconds
        let hung = started.withLock { s in s.contains { $0 != 0 && now - $0 > hangSeconds * 1_000_000_000 } }
        if hung {
          let msg = Array("fuzz: a case ran longer than \(hangSeconds) s (hang)\n".utf8)
          _ = msg.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
          dump()
          abort()
        }
      }
    }
    watchdog.start()
  }()
}
