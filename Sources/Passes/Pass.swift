import GraphIR

/// A graph-to-graph transformation. One pass per file; options are stored properties, never string dictionaries.
///
/// The core of each pass is a function on `Graph`; the `Pass` wrapper is thin so passes compose in a `Pipeline`.
public protocol Pass: Sendable {
  /// The name used by `--print-after NAME` and `modc passes` (defaults to the type name).
  static var name: String { get }
  /// One line saying what the pass does (shown by `modc passes`).
  static var summary: String { get }
  /// Rewrites `graph` in place. Throws a `GraphError` naming the node when the graph cannot be transformed.
  func run(on graph: inout Graph, context: inout PassContext) throws
}

extension Pass {
  public static var name: String { String(describing: Self.self) }
  public var name: String { Self.name }
}

/// State shared by the passes of one pipeline run: warnings/notes, verbose decisions and options.
public struct PassContext: Sendable {
  /// Non-fatal messages for the user (e.g. "router weights are random; the model needs training").
  public var warnings: [String] = []
  /// Explanations of decisions, printed with `--verbose`.
  public var remarks: [String] = []
  public init() {}

  public mutating func warn(_ message: String) { warnings.append(message) }
  public mutating func remark(_ message: String) { remarks.append(message) }
}
