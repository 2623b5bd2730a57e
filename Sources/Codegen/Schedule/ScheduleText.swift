import GraphIR

/// The schedule's text form: a stable, deterministic listing for dumps, diffs and golden tests.
///
/// ```
/// schedule target=avx2 conv-algo=auto arena=4096 intermediates=6144 weights=1280
/// buffers:
///   #0 "x" f32[1,3,8,8] input 0
///   #3 "t" f32[1,4,8,8] arena @0
///   #1 "w.packed1" f32[192] weight @0
/// steps:
///   %0 = conv n=1 cIn=3 … algo=direct (#0, #1, #2) -> (#3)  // "conv1"
/// ```
/// Step lines come from the step types' named fields (`StepDescriptor.fields`), so a new step kind prints itself.
extension Schedule {
  public var text: String {
    var out: [String] = []
    var header = "schedule"
    if let t = target { header += " target=\(t.isa) conv-algo=\(t.convAlgorithm)" }
    header += " arena=\(arenaSize) intermediates=\(intermediateBytes) weights=\(weightsSize)"
    out.append(header)
    out.append("buffers:")
    for (i, b) in buffers.enumerated() {
      out.append("  #\(i) \(jsonQuoted(b.name)) \(b.dtype.rawValue)[\(b.shape.map(String.init).joined(separator: ","))] "
        + b.location.text)
    }
    out.append("inputs: " + inputs.map { "#\($0)" }.joined(separator: ", "))
    out.append("outputs: " + outputs.map { "#\($0)" }.joined(separator: ", "))
    out.append("steps:")
    for (i, s) in steps.enumerated() { out.append("  %\(i) = " + s.text) }
    return out.joined(separator: "\n") + "\n"
  }
}

extension Step {
  /// `mnemonic field=value … (#in, …) -> (#out, …)  // "node"`.
  public var text: String {
    let d = kind.descriptor
    let fields = d.fields.map { "\($0.name)=\($0.value)" }
    return ([type(of: d).mnemonic] + fields).joined(separator: " ")
      + " (" + inputs.map { "#\($0)" }.joined(separator: ", ") + ") -> ("
      + outputs.map { "#\($0)" }.joined(separator: ", ") + ")  // " + jsonQuoted(node)
  }
}

extension BufferLocation {
  /// `input 0`, `output 0`, `arena @64`, `weight @128`.
  public var text: String {
    switch self {
    case .input(let i): return "input \(i)"
    case .output(let i): return "output \(i)"
    case .arena(let o): return "arena @\(o)"
    case .weight(let o): return "weight @\(o)"
    }
  }
}
