import Codegen
import Foundation
import GraphIR
import ONNXReader

/// The real fixtures, when the checkout has them: the nearest ancestor of this file holding `shared/fixtures`.
enum FuzzFixtures {
  static let directory: String? = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while url.path != "/" {
      url.deleteLastPathComponent()
      let candidate = url.appendingPathComponent("shared/fixtures").path
      if FileManager.default.fileExists(atPath: candidate) { return candidate }
    }
    return nil
  }()

  /// The bytes of fixture `name`, or nil when it is absent.
  static func bytes(_ name: String) -> [UInt8]? {
    guard let d = directory, let data = FileManager.default.contents(atPath: d + "/" + name) else { return nil }
    return [UInt8](data)
  }

  static let cifar = bytes("cifar_resnet20_op17.onnx")
  static let mod = bytes("mod/cifar_resnet20_mod_c16.onnx")
  static let resnet18 = bytes("resnet18_op17.onnx")
  static let npys: [[UInt8]] = [
    "cifar_resnet20_op17.input.npy", "cifar_resnet20_op17.output.npy", "resnet18_op17.output.npy",
  ].compactMap(bytes)
  static let npzs: [[UInt8]] = ["mod/cifar_resnet20_mod_c16.router.npz"].compactMap(bytes)
}

/// Hand-written and derived seeds for the text IR, plan and NumPy formats.
enum Seeds {
  /// Small hand-written text IR covering headers, constants, attributes of every literal kind and MoD ops.
  static let handWrittenText: [String] = [
    """
    graph "block" ir 8 opset 17 producer "fuzz" "1" {
      input %0 "x" : f32[N,4,8,8]
      const %w "w" : f32[4,4,3,3] #0123456789abcdef
      %1 = conv(%0, %w) {kernel_shape=[3,3] pads=[1,1,1,1] strides=[1,1] group=1} : f32[N,4,8,8]  # "conv"
      %2 = relu(%1)  # "relu"
      %3 = add(%2, %0)  # "add"
      %4 = max_pool(%3) {kernel_shape=[2,2] strides=[2,2]} : f32[N,4,4,4]  # "pool"
      %5 = global_average_pool(%4)  # "gap"
      %6 = flatten(%5) {axis=1}  # "flat"
      %7 = softmax(%6) {axis=1}  # "sm"
      output %7
    }
    """,
    """
    graph "g" {
      input %0 "x" : f32[1,2,3,4]
      %1 = transpose(%0) {perm=[0,2,3,1]}  # "t"
      %2 = reduce_mean(%1) {axes=[1,2] keepdims=false}  # "m"
      %3 = slice(%0) {starts=[0] ends=[9223372036854775807] axes=[1]}  # "s"
      %4 = cast(%3) {to=i64}  # "c"
      %5 = opaque(%0) {attrs={alpha=f:1.5 mode=s:"x" n=i:-3} domain="com.x" op_type="Foo"}  # "foo"
      output %2, %4, %5
    }
    """,
    """
    graph "m" {
      input %0 "x" : f32[1,8,4,4]
      %1 = mod.router(%0) {block="b" capacity=2 k=8}  # "r"
      %2 = mod.gather(%0, %1) {block="b"}  # "g"
      %3 = mod.fuse(%0, %2, %1) {block="b"}  # "f"
      output %3
    }
    """,
  ]

  /// Text seeds: the hand-written ones plus the printed form of every ONNX seed the reader accepts.
  static var text: [[UInt8]] {
    var out = handWrittenText.map { Array($0.utf8) }
    let models = ONNXSeeds.all.map(\.bytes) + [FuzzFixtures.cifar, FuzzFixtures.mod].compactMap { $0 }
    for m in models {
      if let g = try? loadONNX(bytes: m) { out.append(Array(printGraph(g).utf8)) }
    }
    return out
  }

  /// A complete plan: metadata, schedule bytes, a memory plan and weights of three element types.
  static var plan: [UInt8] {
    var w = PlanWriter(producer: "modc fuzz")
    w.addMetadata(PlanMetadata(["model": "tiny", "opset": "17", "inputs": "x:f32[1,3,8,8]"]))
    w.addSection(.schedule, Schedule().encoded())
    if let plan = try? MemoryPlanner.plan([
      PlannerBuffer(id: 1, size: 100, firstUse: 0, lastUse: 1), PlannerBuffer(id: 2, size: 64, firstUse: 1, lastUse: 2),
      PlannerBuffer(id: 3, size: 100, firstUse: 2, lastUse: 3, inPlaceOf: 2),
    ]) {
      try? w.addMemoryPlan(plan)
    }
    var blob = WeightsBlob()
    blob.append(name: "conv1.weight", TensorData(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]))
    blob.append(name: "conv1.bias", TensorData(shape: [2], floats: [-1, 1]))
    blob.append(name: "empty", TensorData(shape: [0, 4], floats: []))
    w.addWeights(blob)
    return w.serialized()
  }

  /// The smallest complete plan: empty metadata, an empty memory plan and no weights.
  static var minimalPlan: [UInt8] {
    var w = PlanWriter(producer: "")
    w.addMetadata(PlanMetadata())
    if let empty = try? MemoryPlanner.plan([]) { try? w.addMemoryPlan(empty) }
    w.addWeights(WeightsBlob())
    return w.serialized()
  }

  /// `.npy` files of every supported element type, 0-d, empty and large-header variants, plus the fixtures.
  static var npy: [[UInt8]] {
    var out = FuzzFixtures.npys
    out.append(NPY.encode(NPYArray(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])))
    out.append(NPY.encode(NPYArray(shape: [], floats: [7])))
    out.append(NPY.encode(NPYArray(shape: [0, 5], floats: [])))
    out.append(NPY.encode(NPYArray(dtype: .i64, shape: [3], data: [UInt8](repeating: 1, count: 24))))
    out.append(NPY.encode(NPYArray(dtype: .i32, shape: [2, 1, 2], data: [UInt8](repeating: 2, count: 16))))
    out.append(NPY.encode(NPYArray(dtype: .f64, shape: [1], data: [UInt8](repeating: 0, count: 8))))
    // Version 2.0 header (4-byte header length) written by hand.
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    var v2: [UInt8] = [0x93] + Array("NUMPY".utf8) + [2, 0]
    let padded = header + String(repeating: " ", count: (64 - (12 + header.utf8.count + 1) % 64) % 64) + "\n"
    let n = UInt32(padded.utf8.count)
    v2 += (0..<4).map { UInt8(truncatingIfNeeded: n >> (8 * UInt32($0))) } + Array(padded.utf8)
    v2 += ONNXSeeds.floats([1.5, -2])
    out.append(v2)
    return out
  }

  /// `.npz` archives: deflated and stored, plus the fixture's router archive.
  static var npz: [[UInt8]] { [NPZSeeds.compressed, NPZSeeds.stored] + FuzzFixtures.npzs }
}
