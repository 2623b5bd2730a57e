import CKernels
import GraphIR

/// One kind of schedule step: a value type whose named fields (written once, in `visitFields`) drive the plan
/// encoding, its decoding with validation, the schedule's text form, the C descriptor the kernels read
/// (`modc_step_<kind>` in `modc_kernels.h`, same names in the same order) and emitted C's designated initializers.
///
/// Conformers live one kernel family per file (`ConvSteps.swift`, `PoolSteps.swift`, …); `StepKind` has one case per
/// conformer. Adding a step kind: a struct here, its case in `StepKind` (the compiler lists the `switch`es), its tag in
/// `StepKind.descriptorTypes`, and its C struct plus a `case` in `Sources/CKernels/step.c`.
public protocol StepDescriptor: Sendable, Equatable {
  /// The `.modplan` step tag, which is also the C `enum modc_step_kind` value.
  static var tag: UInt32 { get }
  /// The name of the kind in the text form (`conv`, `mod.router`, …).
  static var mnemonic: String { get }
  /// Whether the kernel takes workspace (`modc_step_workspace_size` is asked only for these kinds).
  static var usesWorkspace: Bool { get }
  /// A value whose fields decoding overwrites.
  static var blank: Self { get }
  /// Visits every field in encoding order: writers read the value, the decoder replaces it (range-checked).
  mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError)
  /// Element counts and dtypes of the step's inputs and outputs, and which inputs the output may overwrite;
  /// throws when the fields are inconsistent (`Schedule.verify`).
  func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds
  /// Multiply-accumulates (0 for data movement).
  var macs: Int { get }
  /// A short name for profiles (`conv3x3/s1`, `fc`, …).
  var label: String { get }
  /// The ONNX-flavoured op name for comments in emitted C (`Conv+Bias+Relu`, …).
  var opName: String { get }
  /// The value as a schedule step kind.
  var kind: StepKind { get }
}

extension StepDescriptor {
  public static var usesWorkspace: Bool { false }
  public var macs: Int { 0 }
  public var label: String { Self.mnemonic }

  /// The named fields in order (the text form and emitted C initializers are built from these).
  public var fields: [StepField] {
    var lister = FieldLister()
    visitInfallibly(&lister)
    return lister.fields
  }

  /// The plan encoding: one integer per scalar field, `count` integers per array field.
  public var words: [Int] {
    var e = WordEncoder(padArrays: false)
    visitInfallibly(&e)
    return e.words.map { Int($0) }
  }

  /// The C descriptor's memory: one int64 per scalar, `MODC_MAX_RANK` per array (zero padded).
  public var cWords: [Int64] {
    var e = WordEncoder(padArrays: true)
    visitInfallibly(&e)
    return e.words
  }

  /// Decodes plan words; throws on a wrong count, a value out of range or an unknown enum value.
  public static func decode(_ words: [Int]) throws(StepFieldError) -> Self {
    var d = WordDecoder(words: words)
    var s = blank
    try s.visitFields(&d)
    guard d.index == words.count else { throw StepFieldError("\(words.count - d.index) extra fields") }
    return s
  }

  /// Workspace floats the kernel needs with `threads` threads (the kernel library's answer).
  public func workspaceFloats(threads: Int) -> Int {
    guard Self.usesWorkspace else { return 0 }
    return withCDescriptor { Int(modc_step_workspace_size(Int32(Self.tag), $0, Int32(clamping: threads))) }
  }

  /// Calls `body` with the C descriptor of the step (`modc_step_<kind>`).
  func withCDescriptor<R>(_ body: (UnsafeRawPointer) -> R) -> R {
    cWords.withUnsafeBytes { raw in
      guard let p = raw.baseAddress else { preconditionFailure("every step kind has fields") }
      return body(p)
    }
  }

  /// Writers never throw; an error here is a bug in a `visitFields`.
  private func visitInfallibly<V: StepFieldVisitor>(_ v: inout V) {
    var copy = self
    do { try copy.visitFields(&v) } catch { preconditionFailure("\(Self.mnemonic): \(error)") }
  }
}

/// A field value, as the text form shows it.
public enum StepFieldValue: Sendable, Equatable, CustomStringConvertible {
  case int(Int)
  case flag(Bool)
  /// Stored as its IEEE-754 bit pattern.
  case float(Float)
  /// An enum case: raw value, text name and C constant.
  case choice(Int, name: String, cName: String)
  /// A fixed-capacity array (`MODC_MAX_RANK` in C); its length is an earlier field.
  case ints([Int])

  public var description: String {
    switch self {
    case .int(let i): return String(i)
    case .flag(let b): return b ? "true" : "false"
    case .float(let f): return "\(f)"
    case .choice(_, let name, _): return name
    case .ints(let xs): return "[" + xs.map(String.init).joined(separator: ",") + "]"
    }
  }
}

/// One named field of a step; `group` names the nested C struct it sits in (`conv` of a MoD conv), if any.
public struct StepField: Sendable, Equatable {
  public var group: String?
  public var name: String
  public var value: StepFieldValue
  /// The C member path (`conv.n`).
  public var cPath: String { group.map { "\($0).\(name)" } ?? name }
}

/// A field that does not decode: wrong count, out of range, unknown enum value.
public struct StepFieldError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// An enum stored in a step field.
public protocol StepFieldChoice: RawRepresentable, CaseIterable, CustomStringConvertible where RawValue == Int {
  /// The C constant emitted C spells it with.
  var cName: String { get }
}

/// Value ranges decoding enforces.
public enum StepFieldRange {
  /// Dimensions and counts the kernels take as `int`.
  public static let dim = 0...Int(Int32.max)
  /// Element counts and offsets into a buffer.
  public static let size = 0...(1 << 40)
  /// Element strides (negative allowed: reversed views).
  public static let stride = -(1 << 40)...(1 << 40)
}

/// Walks the fields of a step (`StepDescriptor.visitFields`). Writers read `value`; the decoder replaces it.
public protocol StepFieldVisitor {
  /// `range` bounds each integer (arrays: each element); `count` is an array's length.
  mutating func visit(_ name: String, _ value: inout StepFieldValue, range: ClosedRange<Int>, count: Int)
    throws(StepFieldError)
  /// The following fields belong to the nested struct `group` until `leave()`.
  mutating func enter(_ group: String)
  mutating func leave()
}

extension StepFieldVisitor {
  public mutating func enter(_ group: String) {}
  public mutating func leave() {}

  public mutating func int(_ name: String, _ x: inout Int, _ range: ClosedRange<Int> = StepFieldRange.dim)
    throws(StepFieldError)
  {
    var v = StepFieldValue.int(x)
    try visit(name, &v, range: range, count: 1)
    guard case .int(let y) = v else { throw StepFieldError("\(name): expected an integer") }
    x = y
  }

  public mutating func flag(_ name: String, _ x: inout Bool) throws(StepFieldError) {
    var v = StepFieldValue.flag(x)
    try visit(name, &v, range: 0...1, count: 1)
    guard case .flag(let y) = v else { throw StepFieldError("\(name): expected a flag") }
    x = y
  }

  public mutating func float(_ name: String, _ x: inout Float) throws(StepFieldError) {
    var v = StepFieldValue.float(x)
    try visit(name, &v, range: 0...Int(UInt32.max), count: 1)
    guard case .float(let y) = v else { throw StepFieldError("\(name): expected a float") }
    x = y
  }

  public mutating func choice<E: StepFieldChoice>(_ name: String, _ x: inout E) throws(StepFieldError) {
    var v = StepFieldValue.choice(x.rawValue, name: x.description, cName: x.cName)
    let raws = E.allCases.map(\.rawValue)
    try visit(name, &v, range: (raws.min() ?? 0)...(raws.max() ?? 0), count: 1)
    guard case .choice(let raw, _, _) = v, let y = E(rawValue: raw) else {
      throw StepFieldError("\(name): unknown value")
    }
    x = y
  }

  /// An array of `count` (≤ `MODC_MAX_RANK`) integers.
  public mutating func ints(_ name: String, _ xs: inout [Int], count: Int, _ range: ClosedRange<Int>)
    throws(StepFieldError)
  {
    guard (0...Int(MODC_MAX_RANK)).contains(count) else { throw StepFieldError("\(name): rank \(count) out of range") }
    var v = StepFieldValue.ints(xs)
    try visit(name, &v, range: range, count: count)
    guard case .ints(let ys) = v else { throw StepFieldError("\(name): expected integers") }
    xs = ys
  }
}

/// Collects the named fields.
struct FieldLister: StepFieldVisitor {
  var fields: [StepField] = []
  var group: String?
  mutating func visit(_ name: String, _ value: inout StepFieldValue, range: ClosedRange<Int>, count: Int) {
    fields.append(StepField(group: group, name: name, value: value))
  }
  mutating func enter(_ group: String) { self.group = group }
  mutating func leave() { group = nil }
}

/// Flattens the fields to integers (the plan encoding, or the C layout with padded arrays).
struct WordEncoder: StepFieldVisitor {
  let padArrays: Bool
  var words: [Int64] = []
  mutating func visit(_ name: String, _ value: inout StepFieldValue, range: ClosedRange<Int>, count: Int) {
    switch value {
    case .int(let i): words.append(Int64(i))
    case .flag(let b): words.append(b ? 1 : 0)
    case .float(let f): words.append(Int64(f.bitPattern))
    case .choice(let raw, _, _): words.append(Int64(raw))
    case .ints(let xs):
      words += xs.prefix(count).map { Int64($0) }
      if xs.count < count { words += [Int64](repeating: 0, count: count - xs.count) }
      if padArrays { words += [Int64](repeating: 0, count: Int(MODC_MAX_RANK) - count) }
    }
  }
}

/// Reads fields from plan words, checking each range.
struct WordDecoder: StepFieldVisitor {
  let words: [Int]
  var index = 0
  mutating func visit(_ name: String, _ value: inout StepFieldValue, range: ClosedRange<Int>, count: Int)
    throws(StepFieldError)
  {
    func next() throws(StepFieldError) -> Int {
      guard index < words.count else { throw StepFieldError("missing field \(name)") }
      defer { index += 1 }
      guard range.contains(words[index]) else { throw StepFieldError("\(name) = \(words[index]) out of \(range)") }
      return words[index]
    }
    switch value {
    case .int: value = .int(try next())
    case .flag: value = .flag(try next() == 1)
    case .float: value = .float(Float(bitPattern: UInt32(try next())))
    case .choice: value = .choice(try next(), name: "", cName: "")
    case .ints:
      var xs: [Int] = []
      for _ in 0..<count { xs.append(try next()) }
      value = .ints(xs)
    }
  }
}
