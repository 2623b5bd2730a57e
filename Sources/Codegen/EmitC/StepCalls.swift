import GraphIR

/// Emitted C's view of the steps: one `static const modc_step_<kind>` descriptor per step, written from the step
/// type's named fields as a designated initializer, and one `modc_step_run` call per step — the same descriptor
/// and entry point the plan runtime uses (`Runtime/StepProgram.swift`), so no kernel call is spelled twice.
struct StepEmitter {
  let schedule: Schedule
  /// The file-scope descriptor of each step, named after its kind and ONNX node.
  let descriptorNames: [String]

  init(schedule: Schedule) {
    self.schedule = schedule
    var ids = CIdentifiers(prefix: "")
    descriptorNames = schedule.steps.map { ids.make(Self.cKind($0.kind) + "_" + $0.node) }
  }

  /// `conv`, `mod_router`, …: the suffix of the kind's C struct (`modc_step_<suffix>`) and enum constant.
  static func cKind(_ k: StepKind) -> String { k.mnemonic.replacing(".", with: "_") }

  /// `MODC_STEP_CONV`, …
  static func cKindConstant(_ k: StepKind) -> String { "MODC_STEP_" + cKind(k).uppercased() }

  /// The descriptors, one per step, as file-scope constants.
  func emitDescriptors(into w: inout CWriter) {
    guard !schedule.steps.isEmpty else { return }
    w.comment("Step descriptors (modc_kernels.h, \"step descriptors\"): each step's kernel parameters, in the fields "
      + "of its step type.")
    for (i, s) in schedule.steps.enumerated() {
      let items = Self.initializerItems(s.kind.descriptor.fields)
      let head = "static const modc_step_\(Self.cKind(s.kind)) \(descriptorNames[i]) = {"
      let oneLine = head + items.map(\.text).joined(separator: ", ") + "};"
      if oneLine.count <= 118 {
        w.line(oneLine)
        continue
      }
      w.line(head)
      w.depthIn { w in Self.emitWrapped(items, into: &w) }
      w.line("};")
    }
    w.line()
  }

  /// One initializer item: `.name = value`, or a nested struct's `.group = {…}` with its own items.
  struct InitializerItem {
    var text: String
    var inner: [InitializerItem] = []
    var group: String?
  }

  /// Items packed into lines of about 110 characters; a nested struct too long for one line gets lines of its own.
  static func emitWrapped(_ items: [InitializerItem], into w: inout CWriter) {
    var line = ""
    for (k, item) in items.enumerated() {
      let comma = k + 1 < items.count ? "," : ""
      if let group = item.group, item.text.count > 100 {
        if !line.isEmpty { w.line(line + ",") }
        line = ""
        w.line(".\(group) = {")
        w.depthIn { w in emitWrapped(item.inner, into: &w) }
        w.line("}" + comma)
        continue
      }
      if !line.isEmpty, line.count + item.text.count + 2 > 110 {
        w.line(line + ",")
        line = ""
      }
      line += (line.isEmpty ? "" : ", ") + item.text
    }
    if !line.isEmpty { w.line(line) }
  }

  /// `.name = value` per field; the fields of a nested struct (a MoD conv's `conv`) as one `.group = {…}` item.
  static func initializerItems(_ fields: [StepField]) -> [InitializerItem] {
    var items: [InitializerItem] = []
    var i = 0
    while i < fields.count {
      guard let group = fields[i].group else {
        items.append(InitializerItem(text: ".\(fields[i].name) = \(cValue(fields[i].value))"))
        i += 1
        continue
      }
      var inner: [InitializerItem] = []
      while i < fields.count, fields[i].group == group {
        inner.append(InitializerItem(text: ".\(fields[i].name) = \(cValue(fields[i].value))"))
        i += 1
      }
      items.append(InitializerItem(text: ".\(group) = {" + inner.map(\.text).joined(separator: ", ") + "}", inner: inner,
        group: group))
    }
    return items
  }

  /// A field value as C: integers, 0/1 flags, enum constants, float bit patterns (with the float in a comment).
  static func cValue(_ v: StepFieldValue) -> String {
    switch v {
    case .int(let i): return String(i)
    case .flag(let b): return b ? "1" : "0"
    case .float(let f): return "0x\(String(f.bitPattern, radix: 16, uppercase: true)) /* \(CLiteral.float(f)) */"
    case .choice(_, _, let cName): return cName
    case .ints(let xs): return CLiteral.list(xs)
    }
  }

  /// `static const modc_step_ref workspace_steps[]` and the workspace function's loop over it: every step whose
  /// kind takes kernel workspace (`StepDescriptor.usesWorkspace`).
  func emitWorkspaceTable(into w: inout CWriter) -> Bool {
    let users = schedule.steps.indices.filter { type(of: schedule.steps[$0].kind.descriptor).usesWorkspace }
    guard !users.isEmpty else { return false }
    w.comment("Steps whose kernels take workspace (sized by modc_step_workspace_size).")
    w.line("static const struct { int kind; const void *desc; } workspace_steps[] = {")
    w.depthIn { w in
      for i in users { w.line("{\(Self.cKindConstant(schedule.steps[i].kind)), &\(descriptorNames[i])},") }
    }
    w.line("};")
    w.line()
    return true
  }

  /// The call of step `index`: its arguments (inputs then outputs) and descriptor handed to `modc_step_run`.
  func emitCall(_ step: Step, index: Int, variables: [Int: String], into w: inout CWriter) {
    let args = step.inputs.map { "(void *)" + (variables[$0] ?? "NULL") } + step.outputs.map { variables[$0] ?? "NULL" }
    let head = "MODC_CHECK(modc_step_run(\(Self.cKindConstant(step.kind)), &\(descriptorNames[index]),"
    let call = "(void *const[]){\(args.joined(separator: ", "))}, scratch, pool));"
    guard head.count + call.count + 1 > 118 else {
      w.line(head + " " + call)
      return
    }
    // Long argument lists continue one level deeper, packed to about 110 characters.
    w.line(head)
    w.depthIn { w in
      var line = "(void *const[]){"
      for (k, a) in args.enumerated() {
        let piece = a + (k + 1 < args.count ? "," : "}, scratch, pool));")
        if line.count + piece.count + 1 > 110, !line.hasSuffix("{") {
          w.line(line)
          line = piece
        } else {
          line += (line.hasSuffix("{") ? "" : " ") + piece
        }
      }
      w.line(line)
    }
  }
}
