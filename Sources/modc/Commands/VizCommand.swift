import GraphIR
import Passes

#if canImport(Glibc)
import Glibc
#endif

/// `modc viz M [MoD flags] [--collapse] -o m.svg|m.png|m.dot`: a Graphviz picture with Conv-Blocks as clusters.
enum VizCommand: Command {
  static let name = "viz"
  static let summary = "Draw the graph with Conv-Blocks as clusters (MoD blocks coloured) as SVG, PNG or DOT."
  static let usage = "modc viz <model> [--mod-every N | --blocks LIST] [--capacity C] [--collapse] -o m.svg|m.png|m.dot"
  static let options: [OptionSpec] = [
    .value("--output", short: "-o", "FILE", "Output picture; the format follows the extension: .svg, .png or .dot"),
    .flag("--collapse", "Draw one node per block (readable for deep ResNets)"),
    .flag("--constants", "Also draw weight constants"),
    .flag("--force", "With MoD flags on a model that already has MoD blocks: add MoD to the remaining eligible blocks"),
  ] + modOptions + traceOptions + modelInputOptions
  static let details = """
    The graph is drawn after canonicalisation and BN folding (and MoD insertion with MoD flags). Edges carry
    tensor types, nodes their MACs; plain Conv-Blocks are grey clusters, MoD blocks orange ones labelled with
    capacity c and k (a darker orange for a smaller k/C). SVG and PNG need Graphviz's 'dot' on PATH
    (Debian: apt-get install graphviz); .dot output does not. The output is written atomically.
    """

  /// Output formats by file extension.
  enum Format: String { case svg, png, dot }

  static func run(_ args: ParsedArguments) throws {
    let path = try expectPositionals(args, ["model"])[0]
    guard let out = args.string("--output") else { throw UsageError("missing -o <m.svg|m.png|m.dot>") }
    let ext = out.split(separator: ".").last.map { String($0).lowercased() } ?? ""
    guard out.contains("."), let format = Format(rawValue: ext) else {
      throw UsageError("-o must end in .svg, .png or .dot, got '\(out)'")
    }
    try checkWritable(out)
    let dotPath = format == .dot ? nil : try findDot()
    let progress = Progress(command: name, args)
    defer { progress.finish() }
    let g = try loadAndTransform(path, args, target: .analysis, progress: progress)
    progress.update("drawing")
    let text = dotText(g, collapse: args.flag("--collapse"), constants: args.flag("--constants"))
    if let dotPath {
      progress.update("rendering with \(dotPath)")
      try render(text, dot: dotPath, format: format, to: out)
    } else {
      try AtomicFile.write(text: text, to: out)
    }
    progress.finish()
    if !args.flag("--quiet") {
      let blocks = g.blockGroups()
      print("wrote \(out): \(blocks.count) blocks (\(blocks.filter { $0.mod != nil }.count) MoD), \(g.nodes.count) nodes")
    }
  }

  /// The DOT text: one cluster per block (`BlockGroup`), MoD clusters coloured by k/C.
  static func dotText(_ g: Graph, collapse: Bool, constants: Bool = false) -> String {
    let clusters = g.blockGroups().map { b -> DOTCluster in
      if let m = b.mod {
        return DOTCluster(label: ["\(b.name) MoD", "c=\(m.capacity) k=\(m.k) of C=\(m.channels), \(m.fusion.rawValue)"],
          nodeIndices: b.nodeIndices, fillColor: modColor(k: m.k, channels: m.channels))
      }
      return DOTCluster(label: ["\(b.name) \(b.kind)"], nodeIndices: b.nodeIndices, fillColor: "#eef1f5")
    }
    return graphDOT(g, options: DOTOptions(includeConstants: constants, clusters: clusters, collapseClusters: collapse,
      showMACs: true))
  }

  /// Orange, darker the fewer channels a MoD block processes (k/C from 1 down to 1/64 and below).
  static func modColor(k: Int, channels: Int) -> String {
    let fraction = channels > 0 ? Double(max(k, 1)) / Double(channels) : 1
    // log2(C/k) in 0...6 → lightness steps.
    var steps = 0
    var f = fraction
    while f < 1 && steps < 6 {
      f *= 2
      steps += 1
    }
    let palette = ["#fff0db", "#ffe4bf", "#ffd8a3", "#ffcb87", "#ffbd6b", "#ffae4f", "#ff9f33"]
    return palette[steps]
  }

  /// Graphviz's `dot` on PATH, or a one-line error telling how to install it.
  static func findDot() throws -> String {
    let pathVar = getenv("PATH").map { String(cString: $0) } ?? ""
    for dir in pathVar.split(separator: ":") where !dir.isEmpty {
      let candidate = String(dir) + "/dot"
      if access(candidate, X_OK) == 0 { return candidate }
    }
    throw VizError(reason: "Graphviz 'dot' not found on PATH (install it: apt-get install graphviz), or write -o FILE.dot")
  }

  /// Runs `dot -T<format>` on `text` and writes its output atomically to `path`.
  static func render(_ text: String, dot: String, format: Format, to path: String) throws {
    let input = try TempFile(contents: text, suffix: "dot")
    defer { input.remove() }
    let errors = try TempFile(contents: "", suffix: "err")
    defer { errors.remove() }
    try AtomicFile.write(to: path) { fd in
      let status = spawnAndWait([dot, "-T\(format.rawValue)", input.path], stdout: fd, stderrPath: errors.path)
      guard status == 0 else {
        let msg = readTextFile(errors.path).map { $0.split(whereSeparator: \.isNewline).first.map(String.init) ?? "" }
        return "dot failed (status \(status))" + (msg.map { $0.isEmpty ? "" : ": \($0)" } ?? "")
      }
      return nil
    }
  }

  /// Spawns `argv` with stdout on `stdout` and stderr into `stderrPath`; returns the exit status (-1: no spawn).
  static func spawnAndWait(_ argv: [String], stdout: Int32, stderrPath: String) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_TRUNC, 0)
    var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
    cArgs.append(nil)
    defer { for p in cArgs { free(p) } }
    var pid = pid_t()
    guard posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if errno != EINTR { return -1 }
    }
    // WIFEXITED / WEXITSTATUS by hand (the macros are not imported into Swift).
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
  }
}

/// `modc viz` could not render: names the reason (missing Graphviz, dot failure).
struct VizError: Error, CustomStringConvertible {
  var reason: String
  var description: String { reason }
}

/// A temporary file in $TMPDIR (or /tmp), created with mkstemps and removed by `remove()`.
struct TempFile {
  let path: String

  init(contents: String, suffix: String) throws {
    let dir = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array("\(dir)/modc-viz-XXXXXX.\(suffix)".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { buf in
      buf.baseAddress.map { mkstemps($0, Int32(suffix.utf8.count + 1)) } ?? -1
    }
    guard fd >= 0 else { throw FileWriteError(path: dir, reason: "cannot create a temporary file: \(String(cString: strerror(errno)))") }
    path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let bytes = Array(contents.utf8)
    var off = 0
    let ok: Bool = bytes.withUnsafeBytes { b in
      while off < b.count, let base = b.baseAddress {
        let n = write(fd, base + off, b.count - off)
        if n <= 0 { return false }
        off += n
      }
      return true
    }
    close(fd)
    guard ok else {
      unlink(path)
      throw FileWriteError(path: path, reason: "cannot write a temporary file")
    }
  }

  func remove() { unlink(path) }
}
