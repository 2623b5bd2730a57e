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
  /// The handlers replaced by ours, indexed by signal number.
  nonisolated(unsafe) static var previousActions: [sigaction] = Array(repeating: sigaction(), count: 65)
  /// Start time (monotonic ns) of each slot's running case, 0 when idle.
  static let started = Mutex<[UInt64]>(Array(repeating: 0, count: slots))
  static let names = Mutex<[String]>([])
  /// A case running longer than this is a hang: the process prints the case and aborts.
  static let hangSeconds: UInt64 = 20

  static func slot(for format: String) -> Int {
    installOnce
    installAlternateStack()
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

  /// Gives the calling thread (a campaign runs on one) a signal stack; the 256 KiB are never freed.
  static func installAlternateStack() {
    var ss = stack_t()
    let size = 256 * 1024
    ss.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    ss.ss_size = size
    ss.ss_flags = 0
    sigaltstack(&ss, nil)
  }

  private static let installOnce: Void = {
    for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { sig in
        CrashNotes.dump()
        // Reinstate whoever was installed before (the Swift runtime's backtracer) and return: a fault re-executes
        // and reaches it with the original context; abort() re-raises by itself.
        var previous = CrashNotes.previousActions[Int(sig)]
        sigaction(sig, &previous, nil)
      }
      action.sa_flags = Int32(SA_ONSTACK)  // so a stack overflow still gets its note printed
      sigaction(sig, &action, &previousActions[Int(sig)])
    }
    let watchdog = Thread {
      while true {
        sleep(1)
        let now = DispatchTime.now().uptimeNanoseconds
        let hung = started.withLock { s in s.contains { $0 != 0 && now > $0 && now - $0 > hangSeconds * 1_000_000_000 } }
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
