import Foundation
import TestSupport
import Testing

/// Builds the C kernel library with AddressSanitizer + UBSan together with tools/sanitize/kernels_asan.c (every
/// kernel family on odd sizes, fast paths vs scalar) and runs it. Needs a C compiler.
@Suite struct KernelSanitizerTests {
  @Test(.requires(Env.cCompiler != nil, "a C compiler (cc, clang or gcc) on PATH"))
  func kernelsAreCleanUnderASanAndUBSan() throws {
    let cc = try #require(Env.cCompiler)
    let dir = try TempDir()
    defer { dir.remove() }
    let root = Env.packageRoot
    let sources = try FileManager.default.contentsOfDirectory(atPath: root + "/Sources/CKernels")
      .filter { $0.hasSuffix(".c") }.sorted().map { root + "/Sources/CKernels/" + $0 }
    #expect(sources.count >= 10)
    let exe = dir.file("kernels_asan")
    let build = try #require(try runChild([cc, "-std=c11", "-O1", "-g", "-fno-omit-frame-pointer",
      "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-I", root + "/Sources/CKernels/include",
      "-I", root + "/Sources/CKernels"] + sources + [root + "/tools/sanitize/kernels_asan.c", "-o", exe,
      "-lpthread", "-lm"], timeout: 300))
    #expect(build.status == 0, "sanitizer build failed: \(build.stderr)")
    guard build.status == 0 else { return }
    let r = try #require(try runChild([exe], timeout: 300))
    #expect(r.status == 0, "kernels_asan failed:\n\(r.stdout)\n\(r.stderr)")
    #expect(r.stdout.contains("kernels_asan: OK"))
    #expect(!r.stderr.contains("ERROR: AddressSanitizer") && !r.stderr.contains("runtime error:"), "\(r.stderr)")
  }
}
