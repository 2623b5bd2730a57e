import Codegen
import GraphIR
import Passes
import TestSupport

/// A real compiled plan as a fuzz seed: a small ResNet (stem, two BasicBlocks — the second with MoD — pooling and a
/// classifier) lowered by modc, so the schedule decoder and its validation see every common step kind.
enum CompiledPlanSeed {
  static var bytes: [UInt8] {
    var g = TinyResNet.graph()
    do {
      try ShapeInference().run(on: &g)
      var ctx = PassContext()
      try Pipeline.standard(insertMoD: InsertMoD(placement: .every(2), capacity: 4, seed: 9), target: .codegen)
        .run(on: &g, context: &ctx)
      let lowered = try Lowering.lower(g)
      var w = PlanWriter(producer: "modc fuzz")
      w.addMetadata(PlanMetadata(["model": "tiny_resnet"]))
      w.addSection(.schedule, lowered.schedule.encoded())
      w.addWeights(lowered.weights)
      try w.addMemoryPlan(MemoryPlanner.plan([]))
      return w.serialized()
    } catch {
      preconditionFailure("the compiled seed plan must build: \(error)")
    }
  }
}
