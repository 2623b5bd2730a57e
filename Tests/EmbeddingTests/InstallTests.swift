import Foundation
import TestSupport
import Testing

/// `make install-files` into a temp prefix (the debug build, since SwiftPM holds .build while tests run), then the
/// C example built with the installed pkg-config file and the Python suite run against the installed library.
enum Installation {
  struct Prefix: Sendable {
    let url: URL
    var lib: String { url.appendingPathComponent("lib/libmodc_runtime.so").path }
    var modc: String { url.appendingPathComponent("bin/modc").path }
    var pkgConfigPath: String { url.appendingPathComponent("lib/pkgconfig").path }
  }

  /// Installed once per test process; the error text when installing failed.
  static let prefix: Result<Prefix, InstallFailure> = {
    guard let dir = try? TempDir() else { return .failure(InstallFailure(log: "cannot create a temp dir")) }
    let p = Prefix(url: dir.url.appendingPathComponent("prefix"))
    do {
      let r = try Env.run(
        "/usr/bin/env", ["make", "--no-print-directory", "install-files", "PREFIX=\(p.url.path)", "INSTALL_CONFIG=debug"],
        in: Env.root)
      return r.status == 0 ? .success(p) : .failure(InstallFailure(log: r.log))
    } catch {
      return .failure(InstallFailure(log: "\(error)"))
    }
  }()

  static var canBuildC: Bool { Env.which("make") && Env.which("cc") && Env.which("pkg-config") }
}

/// Why `make install-files` failed (with its output).
struct InstallFailure: Error, CustomStringConvertible {
  var log: String
  var description: String { "make install-files failed:\n\(log)" }
}

@Suite(.requires(Installation.canBuildC, "make, cc and pkg-config"))
struct InstallTests {
  @Test func installsLibraryHeaderPkgConfigAndBinary() throws {
    let p = try Installation.prefix.get()
    let fm = FileManager.default
    #expect(fm.fileExists(atPath: p.lib))
    #expect(fm.isExecutableFile(atPath: p.modc))
    #expect(fm.fileExists(atPath: p.url.appendingPathComponent("include/modc_runtime.h").path))
    let env = ["PKG_CONFIG_PATH": p.pkgConfigPath]
    let cflags = try Env.sh("pkg-config --cflags modc_runtime", environment: env)
    #expect(cflags.status == 0, "\(cflags.log)")
    #expect(cflags.stdout.contains("-I\(p.url.path)/include"))
    let libs = try Env.sh("pkg-config --libs modc_runtime", environment: env)
    #expect(libs.stdout.contains("-L\(p.url.path)/lib") && libs.stdout.contains("-lmodc_runtime"))
    #expect(libs.stdout.contains("-Wl,-rpath,\(p.url.path)/lib"))
    // Only the C ABI needs exporting; check every declared function is there.
    let header = try String(contentsOfFile: p.url.appendingPathComponent("include/modc_runtime.h").path, encoding: .utf8)
    let declared = header.split(separator: "\n").compactMap { line -> String? in
      guard let r = line.range(of: #"\bmodc_[a-z_]+(?=\()"#, options: .regularExpression) else { return nil }
      return String(line[r])
    }
    #expect(Set(declared).count >= 25)
    let nm = try Env.sh("nm -D --defined-only '\(p.lib)'")
    for f in Set(declared) { #expect(nm.stdout.contains(" T \(f)\n"), "\(f) is not exported") }
  }

  /// Built once against the shared library and once against libmodc_runtime.a (modc_runtime_static.pc).
  @Test(arguments: ["modc_runtime", "modc_runtime_static"])
  func cExampleBuildsWithPkgConfigAndMatchesReference(package: String) throws {
    let p = try Installation.prefix.get()
    #expect(FileManager.default.fileExists(atPath: "\(p.pkgConfigPath)/\(package).pc"))
    let onnx = try #require(
      Env.model("resnet18_op17") ?? Env.model("cifar_resnet20_op17"), "no resnet18_op17 / cifar_resnet20_op17 model")
    let tmp = try TempDir()
    defer { tmp.remove() }
    let exe = tmp.path("classify")
    let make = try Env.run(
      "/usr/bin/env",
      ["make", "-B", "-C", "examples/c", "OUT=\(exe)", "PC_PACKAGE=\(package)", "PKG_CONFIG_PATH=\(p.pkgConfigPath)", "CFLAGS=-O2 -Wall -Werror"],
      in: Env.root)
    try #require(make.status == 0, "\(make.log)")
    let ldd = try Env.sh("ldd '\(exe)'")
    #expect(ldd.stdout.contains("libmodc_runtime.so") == (package == "modc_runtime"), "\(ldd.stdout)")
    let plan = tmp.path("model.modplan")
    let convert = try Env.run(p.modc, ["convert", onnx.path, "-o", plan, "--quiet"])
    try #require(convert.status == 0, "\(convert.log)")

    let run = try Env.run(
      exe, [plan, Env.sibling(onnx, ".input.npy"), "--reference", Env.sibling(onnx, ".output.npy"), "--threads", "2"])
    #expect(run.status == 0, "\(run.log)")
    #expect(run.stdout.contains("top-5 of 'output'"))
    let rel = run.stdout.split(separator: "\n").first { $0.hasPrefix("max_rel_diff ") }.flatMap {
      Double($0.dropFirst("max_rel_diff ".count))
    }
    let r = try #require(rel, "no max_rel_diff line in \(run.stdout)")
    #expect(r <= 1e-4)

    // Opened from memory, synthetic input: same top-1 on a second run, and a clean error for a missing plan.
    let mem = try Env.run(exe, [plan, "--memory"])
    #expect(mem.status == 0, "\(mem.log)")
    #expect(mem.stdout.contains("  1: class "))
    let missing = try Env.run(exe, [tmp.path("missing.modplan")])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("modc_session_open failed (-3)") && missing.stderr.contains("missing.modplan"))
    // Compiled in-process by modc_compile (the C layout of modc_compile_options), for AVX2 with MoD: runs, and the
    // plain AVX2 plan matches the reference like the native one.
    let avx2 = tmp.path("avx2.modplan")
    let compiled = try Env.run(exe, [avx2, Env.sibling(onnx, ".input.npy"), "--reference", Env.sibling(onnx, ".output.npy"),
      "--compile", onnx.path, "--target", "avx2"])
    #expect(compiled.status == 0, "\(compiled.log)")
    #expect(compiled.stdout.contains("(target avx2)"))
    let rel2 = compiled.stdout.split(separator: "\n").first { $0.hasPrefix("max_rel_diff ") }.flatMap {
      Double($0.dropFirst("max_rel_diff ".count))
    }
    #expect((rel2 ?? 1) <= 1e-4, "\(compiled.stdout)")
    let withMoD = try Env.run(exe, [tmp.path("mod.modplan"), "--compile", onnx.path, "--mod-every", "2", "--capacity", "4"])
    #expect(withMoD.status == 0, "\(withMoD.log)")
    let bad = try Env.run(exe, [tmp.path("bad.modplan"), "--compile", onnx.path, "--target", "sse9"])
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("modc_compile failed (-1)") && bad.stderr.contains("target must be one of"), "\(bad.log)")
    #expect(!FileManager.default.fileExists(atPath: tmp.path("bad.modplan")))
  }
}

/// The Python package's pytest suite (python/tests) against the installed library and binary, found the way a user's
/// would be: through MODC_PREFIX and `../bin/modc` next to the library.
@Suite(.requires(Python.available, "python3 with numpy, pytest and onnxruntime"))
struct PythonTests {
  @Test func pytestSuitePasses() throws {
    let p = try Installation.prefix.get()
    let r = try Env.run(
      "/usr/bin/env", ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "python/tests"], in: Env.root,
      environment: ["MODC_PREFIX": p.url.path, "MODC_RUNTIME_LIB": "", "MODC_BIN": "", "PYTHONDONTWRITEBYTECODE": "1"])
    #expect(r.status == 0, "\(r.log)")
    #expect(r.stdout.contains(" passed"))
    #expect(!r.stdout.contains(" failed"))
  }
}

/// Whether the Python test dependencies are importable (`make test` installs them through tools/deps.sh).
enum Python {
  static let available: Bool = {
    guard let r = try? Env.run("/usr/bin/env", ["python3", "-c", "import numpy, pytest, onnxruntime"]) else {
      return false
    }
    return r.status == 0
  }()
}
