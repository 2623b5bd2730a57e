import GraphIR
import Testing
@testable import ONNXReader

@Suite struct FixtureLoadTests {
  @Test(.enabled(if: Fixtures.resnet18 != nil)) func resnet18() throws {
    let g = try loadONNX(path: Fixtures.resnet18 ?? "")
    print(opHistogram(g), g.nodes.count, floatParameterCount(g))
    #expect(floatParameterCount(g) == 11_684_712)
  }
}
