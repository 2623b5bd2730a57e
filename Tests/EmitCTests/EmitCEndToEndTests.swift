import Foundation
import TestSupport
import Testing

/// One fixture configuration: model, emit-c flags, input and the onnxruntime reference output.
struct FixtureCase: CustomTestStringConvertible, Sendable {
  var label: String
  var model: String
  var flags: [String]
  var input: String
  var reference: String
  var testDescription: String { label }
}

/// Emit → compile (gcc and clang, -Wall -Wextra -Werror) → run → compare with onnxruntime (1e-4) and with the plan
/// runtime (`modc run`, 1e-5), for the shared fixtures, plain and with MoD.
@Suite(.serialized, .requires(Env.modc != nil, "the built modc"), .requires(!Env.compilers.isEmpty, "gcc or clang"))
struct EmitCEndToEndTests {
  static let cases: [FixtureCase] = [
    FixtureCase(label: "cifar_resnet20 plain, embedded weights", model: "cifar_resnet20_op17.onnx", flags: [],
      input: "cifar_resnet20_op17.input.npy", reference: "cifar_resnet20_op17.output.npy"),
    FixtureCase(label: "cifar_resnet20 + MoD flags (c=16, router weights)", model: "cifar_resnet20_op17.onnx",
      flags: ["--mod-every", "2", "--capacity", "16", "--router-weights", "mod/cifar_resnet20_mod_c16.router.npz"],
      input: "mod/cifar_resnet20_mod_c16.input.npy", reference: "mod/cifar_resnet20_mod_c16.output.npy"),
    FixtureCase(label: "cifar_resnet20_mod_c16 (recognised MoD), weights file", model: "mod/cifar_resnet20_mod_c16.onnx",
      flags: ["--weights", "file", "--name", "cifar_mod"],
      input: "mod/cifar_resnet20_mod_c16.input.npy", reference: "mod/cifar_resnet20_mod_c16.output.npy"),
    FixtureCase(label: "resnet18 (weights file by default)", model: "resnet18_op17.onnx", flags: ["--name", "r18"],
      input: "resnet18_op17.input.npy", reference: "resnet18_op17.output.npy"),
  ]

  @Test(.requires(Env.fixtures != nil, "shared/fixtures"), arguments: cases)
  func matchesOnnxruntimeAndPlanRuntime(_ c: FixtureCase) throws {
    let fx = try Env.requireFixtures()
    let modc = try #require(Env.modc)
    let tmp = try Scratch()
    defer { tmp.cleanup() }
    let flags = c.flags.map { $0.hasSuffix(".npz") ? fx + "/" + $0 : $0 }
    let dir = tmp.path + "/proj"
    guard try emit(fx + "/" + c.model, flags, to: dir) else { return }
    let name = try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".h") }.map { String($0.dropLast(2)) }
    let binary = dir + "/" + (name ?? "?") + "_run"
    // The plan runtime on the same compiled model.
    let planOut = tmp.path + "/plan.npy"
    let modFlags = ["--mod-every", "--capacity", "--router-weights"].flatMap { f in
      flags.firstIndex(of: f).map { [f, flags[$0 + 1]] } ?? []
    }
    let pr = try run([modc, "run", fx + "/" + c.model, "--input", fx + "/" + c.input, "-o", planOut, "--threads", "1"]
      + modFlags)
    #expect(pr.status == 0, "modc run failed: \(pr.stderr)")
    let compilers = c.model.hasPrefix("resnet18") ? Array(Env.compilers.prefix(1)) : Env.compilers
    #expect(!compilers.isEmpty, "no C compiler found")
    for cc in compilers {
      _ = try run(["make", "-s", "-C", dir, "clean"])
      guard try make(dir, cc: cc, cflags: "-O2 -Werror") else { continue }
      let out = tmp.path + "/\(cc).npy"
      let r = try run([binary, fx + "/" + c.input, out])
      #expect(r.status == 0, "\(cc): driver failed: \(r.stderr)")
      let vsOrt = try relativeError(out, fx + "/" + c.reference)
      #expect(vsOrt != nil && vsOrt! <= 1e-4, "\(cc): vs onnxruntime \(String(describing: vsOrt))")
      let vsPlan = try relativeError(out, planOut)
      #expect(vsPlan != nil && vsPlan! <= 1e-5, "\(cc): vs plan runtime \(String(describing: vsPlan))")
      // Two threads give the same bits as one (the kernels never split a reduction).
      let out2 = tmp.path + "/\(cc).t2.npy"
      #expect(try run([binary, fx + "/" + c.input, out2, "--threads", "2"]).status == 0)
      #expect(try relativeError(out2, out) == 0)
    }
  }

  /// A bottleneck network from the generated model set (ResNeXt-50 at 112², BN unfolded in the file): its projection
  /// shortcuts merge into each stage's first conv3 and the merged convs read concats written in place, in emitted C as
  /// in plans (`make test` generates the models; without them there is nothing to compare with).
  @Test(.requires(FileManager.default.fileExists(atPath: Env.models + "/resnext50_32x4d_op13_bn_112.onnx"),
    "generated model resnext50_32x4d_op13_bn_112 ($MODC_MODELS or build/models)"))
  func mergedProjectionShortcutsMatchOnnxruntime() throws {
    let base = Env.models + "/resnext50_32x4d_op13_bn_112"
    let cc = try #require(Env.compilers.first)
    let tmp = try Scratch()
    defer { tmp.cleanup() }
    let dir = tmp.path + "/proj"
    guard try emit(base + ".onnx", ["--name", "rx", "--weights", "file"], to: dir) else { return }
    let source = try String(contentsOfFile: dir + "/rx.c", encoding: .utf8)
    #expect(source.components(separatedBy: "Conv+shortcut\"").count - 1 == 4, "one merged conv per stage")
    guard try make(dir, cc: cc, cflags: "-O2 -Werror") else { return }
    let out = tmp.path + "/out.npy"
    let r = try run([dir + "/rx_run", base + ".input.npy", out, "--threads", "2"])
    #expect(r.status == 0, "driver failed: \(r.stderr)")
    let err = try relativeError(out, base + ".output.npy")
    #expect(err != nil && err! <= 1e-4, "vs onnxruntime \(String(describing: err))")
  }

  /// ASan + UBSan build of the cifar MoD project: clean run, same output; plus two concurrent runs on two
  /// workspaces (reentrancy) that must agree with a single run.
  @Test(.requires(Env.fixtures != nil, "shared/fixtures")) func sanitizersAndReentrancy() throws {
    let fx = try Env.requireFixtures()
    let cc = Env.compilers.contains("clang") ? "clang" : (Env.compilers.first ?? "cc")
    let tmp = try Scratch()
    defer { tmp.cleanup() }
    let dir = tmp.path + "/proj"
    guard try emit(fx + "/cifar_resnet20_op17.onnx", ["--name", "cm", "--mod-every", "2", "--capacity", "16",
      "--router-weights", fx + "/mod/cifar_resnet20_mod_c16.router.npz"], to: dir) else { return }
    let flags = "-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -Werror"
    guard try make(dir, cc: cc, cflags: flags) else { return }
    let out = tmp.path + "/y.npy"
    let r = try run([dir + "/cm_run", fx + "/mod/cifar_resnet20_mod_c16.input.npy", out, "--threads", "2"])
    #expect(r.status == 0 && !r.stderr.contains("runtime error"), "sanitizer run: \(r.stderr.prefix(3000))")
    let err = try relativeError(out, fx + "/mod/cifar_resnet20_mod_c16.output.npy")
    #expect(err != nil && err! <= 1e-4)
    try reentrancyProgram.write(toFile: dir + "/reentrant.c", atomically: true, encoding: .utf8)
    let b = try run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror"] + flags.split(separator: " ").map(String.init)
      + ["-I", dir, "-I", dir + "/kernels", dir + "/reentrant.c", dir + "/libcm.a", "-o", dir + "/reentrant",
        "-lpthread", "-lm"])
    #expect(b.status == 0, "reentrancy program: \(b.stderr)")
    let rr = try run([dir + "/reentrant"])
    #expect(rr.status == 0, "reentrancy: \(rr.stdout) \(rr.stderr.prefix(3000))")
  }

  /// Two threads run the model concurrently, each on its own workspace, 20 times; every result must equal the
  /// single-threaded reference bit for bit.
  let reentrancyProgram = """
    #include <pthread.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include "cm.h"

    static float input[CM_INPUT_SIZE], ref[CM_OUTPUT_SIZE];
    struct job { float out[CM_OUTPUT_SIZE]; int bad; };

    static void *worker(void *arg) {
      struct job *j = (struct job *)arg;
      void *ws = malloc(cm_workspace_size());
      for (int r = 0; r < 20 && ws; r++) {
        if (cm_run(input, j->out, ws) != CM_OK || memcmp(j->out, ref, sizeof ref) != 0) j->bad = 1;
      }
      free(ws);
      return NULL;
    }

    int main(void) {
      pthread_t t[2];
      struct job jobs[2];
      void *ws = malloc(cm_workspace_size());
      for (int i = 0; i < CM_INPUT_SIZE; i++) input[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
      if (!ws || cm_run(input, ref, ws) != CM_OK) return 2;
      free(ws);
      memset(jobs, 0, sizeof jobs);
      for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, &jobs[i]);
      for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
      if (cm_run(input, ref, NULL) != CM_EINVAL) return 3;
      printf("%s\\n", jobs[0].bad || jobs[1].bad ? "mismatch" : "ok");
      return jobs[0].bad || jobs[1].bad;
    }
    """
}
