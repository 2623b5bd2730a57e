import GraphIR

/// The lowered program before memory planning: the schedule (arena offsets not yet assigned) and the facts the
/// planner and the schedule passes need about its buffers.
public struct ScheduleDraft: Sendable {
  public var schedule: Schedule
  /// Buffers that hold graph outputs (never placed inside another buffer, never folded away).
  public var graphOutputs: Set<Int>
  /// Views: view buffer → the buffer whose memory it shares (never itself a view).
  public var aliasOf: [Int: Int]
  /// Byte offset of a view inside its base; 0 when absent.
  public var viewOffset: [Int: Int]
  /// In-place hints for the planner: output buffer → input buffer it may overwrite.
  public var inPlace: [Int: Int]
  /// Copy steps of concats whose piece could live inside the concat's buffer (input to `PlaceConcatPieces`).
  var concatPieces: [ConcatPiece]

  /// The buffer whose memory `b` uses.
  func root(_ b: Int) -> Int { aliasOf[b] ?? b }

  /// The schedule verifier run after every schedule pass: buffer indices in range, each step's buffers match its
  /// kind (arity, dtype, sizes), nothing writes weights or inputs, every buffer is written before it is read, views
  /// lie inside their base and never chain, and in-place hints pair buffers of the same size.
  public func verify() throws {
    let s = schedule
    let n = s.buffers.count
    for (v, base) in aliasOf {
      guard v >= 0, v < n, base >= 0, base < n, aliasOf[base] == nil else {
        throw ScheduleError("view \(v) of \(base) is out of range or a view of a view")
      }
      let off = viewOffset[v] ?? 0
      guard off >= 0, off + s.buffers[v].byteCount <= s.buffers[base].byteCount else {
        throw ScheduleError("view '\(s.buffers[v].name)' at +\(off) lies outside '\(s.buffers[base].name)'")
      }
    }
    for (o, i) in inPlace {
      guard o >= 0, o < n, i >= 0, i < n, s.buffers[o].byteCount == s.buffers[i].byteCount else {
        throw ScheduleError("in-place hint \(o) ← \(i) pairs buffers of different sizes")
      }
    }
    var written = Set<Int>()
    for (b, buf) in s.buffers.enumerated() {
      switch buf.location {
      case .input, .weight: written.insert(b)
      default: break
      }
    }
    for (i, step) in s.steps.enumerated() {
      try s.verifyStep(i, placed: false)
      for b in step.inputs where !written.contains(root(b)) {
        throw ScheduleError("step \(i) (\(step.node)) reads '\(s.buffers[b].name)' before any step writes it")
      }
      for b in step.outputs { written.insert(root(b)) }
    }
  }
}

/// A rewrite of the lowered schedule before memory planning (named like graph passes; `modc passes` lists them and
/// `--print-after NAME` prints the schedule after them).
public protocol SchedulePass: Sendable {
  /// A one-line description for `modc passes`.
  static var summary: String { get }
  func run(on draft: inout ScheduleDraft) throws
}

extension SchedulePass {
  public static var name: String { String(describing: self) }
}

/// The schedule passes lowering runs, in order, with the verifier after each.
public enum SchedulePipeline {
  public static let standard: [any SchedulePass] = [PlaceConcatPieces(), FuseMoDSteps()]

  /// Pass names in order.
  public static var names: [String] { standard.map { type(of: $0).name } }

  /// Runs `passes` on `draft`, verifying after each and reporting to `after` (name, schedule).
  static func run(
    _ passes: [any SchedulePass], on draft: inout ScheduleDraft,
    after: (@Sendable (_ pass: String, _ schedule: Schedule) -> Void)?
  ) throws {
    try draft.verify()
    for p in passes {
      let name = type(of: p).name
      try p.run(on: &draft)
      do { try draft.verify() } catch { throw ScheduleError("after schedule pass \(name): \(error)") }
      after?(name, draft.schedule)
    }
  }
}
