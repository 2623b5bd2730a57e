import Codegen
import Foundation
import GraphIR
import Passes
import TestSupport
import Testing

/// Golden snapshots of the generated model source and header for a tiny weightless graph (relu → sigmoid) and of the
/// source of a small conv + MoD ResNet, through the library API. Re-record with `RECORD_SNAPSHOTS=1 swift test --filter EmitCSnapshotTests` and review the diff.
@Suite struct EmitCSnapshotTests {
  static let model = """
    graph "tiny" {
      input %0 "x" : f32[1,2,2,2]
      %1 = relu(%0) : f32[1,2,2,2]  # "act"
      %2 = sigmoid(%1) : f32[1,2,2,2]  # "gate"
      output %2
    }

    """

  static func project() throws -> CProject {
    let g = try parseGraph(model)
    let lowered = try Lowering.lower(g)
    let provenance = CProvenance(modcVersion: "test", commandLine: "modc emit-c tiny.mir -o out", sourceModel: "tiny.mir",
      sourceHash: "0", modSettings: "none")
    return try EmitC.project(lowered, options: EmitCOptions(name: "tiny", weights: .embed, provenance: provenance))
  }

  /// `TinyResNet` with MoD in its second block (router + gather/fuse folded into the convs), direct convs for the
  /// generic target, so the snapshot is the same on every machine.
  static func modProject() throws -> CProject {
    var g = TinyResNet.graph(name: "tiny_mod_resnet")
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    try Pipeline.standard(insertMoD: InsertMoD(placement: .every(2), capacity: 4, seed: 9), target: .codegen)
      .run(on: &g, context: &ctx)
    let lowered = try Lowering.lower(g, options: LoweringOptions(target: .generic, convAlgorithm: .direct))
    let provenance = CProvenance(modcVersion: "test", commandLine: "modc emit-c tiny_mod_resnet.onnx -o out",
      sourceModel: "tiny_mod_resnet.onnx", sourceHash: "0", modSettings: "every 2, capacity 4")
    return try EmitC.project(lowered, options: EmitCOptions(name: "tiny_mod", weights: .embed, provenance: provenance))
  }

  @Test(arguments: ["tiny.c", "tiny.h", "tiny_mod.c"])
  func matchesSnapshot(_ file: String) throws {
    let project = file.hasPrefix("tiny_mod") ? try Self.modProject() : try Self.project()
    let text = try #require(project.file(file)).text
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots/\(file).snap").path
    if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      return
    }
    let expected = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text == expected, "generated \(file) differs from Snapshots/\(file).snap (RECORD_SNAPSHOTS=1 to update)")
  }

  /// The tiny project compiles warning-free and computes sigmoid(relu(x)).
  @Test(.requires(!Env.compilers.isEmpty, "gcc or clang")) func tinyProjectRuns() throws {
    let cc = try #require(Env.compilers.first)
    let tmp = try Scratch()
    defer { tmp.cleanup() }
    let dir = tmp.path + "/tiny"
    try Self.project().write(to: dir, force: false)
    let test = """
      #include <math.h>
      #include <stdio.h>
      #include <stdlib.h>
      #include "tiny.h"
      int main(void) {
        float x[TINY_INPUT_SIZE], y[TINY_OUTPUT_SIZE];
        void *ws = malloc(tiny_workspace_size());
        for (int i = 0; i < TINY_INPUT_SIZE; i++) x[i] = (float)i - 3.5f;
        if (!ws || tiny_run(x, y, ws) != TINY_OK) return 2;
        for (int i = 0; i < TINY_OUTPUT_SIZE; i++) {
          float r = x[i] > 0 ? x[i] : 0;
          if (fabsf(y[i] - 1.0f / (1.0f + expf(-r))) > 1e-6f) return 1;
        }
        free(ws);
        return 0;
      }
      """
    try test.write(toFile: dir + "/t.c", atomically: true, encoding: .utf8)
    guard try make(dir, cc: cc, cflags: "-O2 -Werror") else { return }
    let b = try run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", dir, "-I", dir + "/kernels", dir + "/t.c",
      dir + "/libtiny.a", "-o", dir + "/t", "-lpthread", "-lm"])
    #expect(b.status == 0, "\(b.stderr)")
    #expect(try run([dir + "/t"]).status == 0)
  }
}
