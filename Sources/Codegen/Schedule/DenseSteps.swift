import CKernels
import GraphIR

/// A fully connected layer, `y = x·Wᵀ + b` (Gemm transB=1 / MatMul with constant W):
/// (x[batch, inFeatures], packedW, bias if `hasBias`) → y[batch, outFeatures].
public struct FullyConnectedStep: Sendable, Equatable {
  public var batch = 0, inFeatures = 0, outFeatures = 0
  public var hasBias = false
  public var relu = false
}

extension FullyConnectedStep: StepDescriptor {
  public static let tag: UInt32 = 2
  public static let mnemonic = "fc"
  public static let usesWorkspace = true
  public static var blank: FullyConnectedStep { FullyConnectedStep() }

  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("batch", &batch)
    try v.int("inFeatures", &inFeatures)
    try v.int("outFeatures", &outFeatures)
    try v.flag("hasBias", &hasBias)
    try v.flag("relu", &relu)
  }

  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    try checkDims(batch, inFeatures, outFeatures)
    let w = modc_pack_a_size(Int32(outFeatures), Int32(inFeatures))
    return StepBufferNeeds(inputs: [.f32(batch * inFeatures), .f32(w)] + (hasBias ? [.f32(outFeatures)] : []),
      outputs: [.f32(batch * outFeatures)])
  }

  public var macs: Int { batch * inFeatures * outFeatures }
  public var opName: String { "Gemm" + (relu ? "+Relu" : "") }
  public var kind: StepKind { .fullyConnected(self) }
}
