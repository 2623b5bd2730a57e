extension Schedule {
  /// A plain listing of the steps (replaced by the schedule IR's text form).
  public var text: String {
    var out = ""
    for (i, s) in steps.enumerated() {
      out += "%\(i) = \(s.kind.label) (\(s.inputs.map { "#\($0)" }.joined(separator: ", "))) -> "
        + "(\(s.outputs.map { "#\($0)" }.joined(separator: ", "))) // \(s.node)\n"
    }
    return out
  }
}
