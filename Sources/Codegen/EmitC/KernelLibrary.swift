#if canImport(Glibc)
import Glibc
#endif

/// Finds and reads the C kernel library that `modc emit-c` copies into projects — the very files the plan runtime
/// is compiled from (`Sources/CKernels`), so there is one implementation and no embedded copy to keep in sync.
///
/// Search order: `$MODC_KERNELS_DIR`; `<modc binary>/../share/modc/kernels` (what `make install` lays down);
/// the source tree this modc was built from (`Sources/CKernels`, found from this file's compile-time path).
public enum KernelLibrary {
  /// One kernel file: its name in the project's `kernels/` directory and its text.
  public struct File: Sendable {
    public var path: String
    public var contents: String
  }

  /// The kernel sources (`*.c`, `*.h`, `include/*.h` flattened), sorted by name.
  public static func files() throws(EmitCError) -> [File] {
    for dir in candidates() {
      let found = list(dir) + list(dir + "/include")
      guard found.contains(where: { $0.hasSuffix("/modc_kernels.h") }) else { continue }
      var out: [File] = []
      for p in found {
        guard let text = readText(p) else { throw EmitCError("cannot read kernel source '\(p)'") }
        out.append(File(path: String(p.split(separator: "/").last ?? ""), contents: text))
      }
      return out.sorted { $0.path < $1.path }
    }
    throw EmitCError("the C kernel library was not found (looked in: \(candidates().joined(separator: ", "))); "
      + "set MODC_KERNELS_DIR to a copy of Sources/CKernels")
  }

  static func candidates() -> [String] {
    var dirs: [String] = []
    if let env = getenv("MODC_KERNELS_DIR") { dirs.append(String(cString: env)) }
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    if n > 0 {
      let exe = String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
      dirs.append(parent(parent(exe)) + "/share/modc/kernels")
    }
    // #filePath: <repo>/Sources/Codegen/EmitC/KernelLibrary.swift → <repo>/Sources/CKernels
    dirs.append(parent(parent(parent(#filePath))) + "/CKernels")
    return dirs
  }

  static func parent(_ p: String) -> String {
    guard let i = p.lastIndex(of: "/") else { return "." }
    return i == p.startIndex ? "/" : String(p[..<i])
  }

  /// `*.c` and `*.h` files directly in `dir`.
  static func list(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var out: [String] = []
    while let e = readdir(d) {
      let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name.hasSuffix(".c") || name.hasSuffix(".h") { out.append(dir + "/" + name) }
    }
    return out
  }

  static func readText(_ path: String) -> String? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = fread(&chunk, 1, chunk.count, f)
      if n <= 0 { break }
      bytes.append(contentsOf: chunk.prefix(n))
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
