import GraphIR
import Passes
import Testing

/// Before/Expected IR tests, one or more per pass. Weights are absent in text, so constants derived by a pass carry
/// checksums derived from their sources (deterministic).
@Suite struct GoldenPassTests {
  static let convBN = """
    graph "g" {
      input %x "x" : f32[1,4,8,8]
      const %w "w" : f32[4,4,3,3] #0000000000000001
      const %g "g" : f32[4] #0000000000000002
      const %b "b" : f32[4] #0000000000000003
      const %m "m" : f32[4] #0000000000000004
      const %v "v" : f32[4] #0000000000000005
      %c = conv(%x, %w) {pads=[1,1,1,1]} : f32[1,4,8,8]  # "conv1"
      %n = batch_norm(%c, %g, %b, %m, %v) {epsilon=1e-05} : f32[1,4,8,8]  # "bn1"
      %y = relu(%n) : f32[1,4,8,8]  # "relu1"
      output %y
    }
    """

  @Test func foldBatchNormIntoConv() throws {
    try assertPass(FoldBatchNorm(), input: Self.convBN, expected: """
      EXPECTED_FOLD
      """)
  }

  @Test func batchNormAfterNonConvStays() throws {
    let input = Self.convBN.replacingFirst("%c = conv(%x, %w) {pads=[1,1,1,1]}", with: "%c = relu(%x)")
    let out = try runPass(FoldBatchNorm(), on: input)
    #expect(out.contains("batch_norm("))
  }

  @Test func removeIdentityAndDropout() throws {
    try assertPass(RemoveIdentities(), input: """
      graph "g" {
        input %x "x" : f32[2,3]
        %a = identity(%x) : f32[2,3]  # "id"
        %b = relu(%a) : f32[2,3]  # "r"
        %c = dropout(%b) : f32[2,3]  # "drop"
        output %c
      }
      """, expected: """
      EXPECTED_IDENTITY
      """)
  }

  @Test func deadCodeElimination() throws {
    try assertPass(DeadCodeElimination(), input: """
      graph "g" {
        input %x "x" : f32[2,3]
        const %unused "unused" : f32[3] #0000000000000009
        %a = relu(%x) : f32[2,3]  # "live"
        %b = sigmoid(%x) : f32[2,3]  # "dead1"
        %c = relu(%b) : f32[2,3]  # "dead2"
        output %a
      }
      """, expected: """
      EXPECTED_DCE
      """)
  }

  @Test func foldShapeChainIntoFlatten() throws {
    // The legacy exporter without constant folding: Shape → Gather → Unsqueeze → Concat → Reshape.
    try assertPass(FoldConstants(), input: """
      graph "g" {
        input %x "x" : f32[1,512,1,1]
        const %zero "zero" : i64[] #0000000000000010
        const %axes "axes" : i64[1] #0000000000000011
        const %minus1 "minus1" : i64[1] #0000000000000012
        %s = shape(%x) : i64[4]  # "Shape_0"
        %g = gather(%s, %zero) {axis=0} : i64[]  # "Gather_1"
        %u = unsqueeze(%g, %axes) : i64[1]  # "Unsqueeze_2"
        %c = concat(%u, %minus1) {axis=0} : i64[2]  # "Concat_3"
        %r = reshape(%x, %c) : f32[1,512]  # "Reshape_4"
        output %r
      }
      """, expected: """
      EXPECTED_FOLDCONST
      """)
  }
}

extension String {
  func replacingFirst(_ a: String, with b: String) -> String {
    guard let r = range(of: a) else { return self }
    return replacingCharacters(in: r, with: b)
  }
}
