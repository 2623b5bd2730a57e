import GraphIR
import Passes
import Testing

/// Golden tests for `FuseProjectionShortcut`.
@Suite struct FuseProjectionShortcutTests {
  /// The tail of a bottleneck with a projection shortcut (BN folded): h [1,4,3,3], x [1,8,6,6]; the parameters
  /// make the variants that must not merge.
  static func tail(
    w3: String = "[16,4,1,1]", conv3: String = "kernel_shape=[1,1]", wd: String = "[16,8,1,1]",
    down: String = "kernel_shape=[1,1] strides=[2,2]", last: String = "relu(%sum)"
  ) -> String {
    """
    graph "g" {
      input %h "h" : f32[1,4,3,3]
      input %x "x" : f32[1,8,6,6]
      const %w3 "w3" : f32\(w3) #0000000000000021
      const %b3 "b3" : f32[16] #0000000000000022
      const %wd "wd" : f32\(wd) #0000000000000023
      const %bd "bd" : f32[16] #0000000000000024
      %c3 = conv(%h, %w3, %b3) {\(conv3)} : f32[1,16,3,3]  # "conv3"
      %d = conv(%x, %wd, %bd) {\(down)} : f32[1,16,3,3]  # "downsample"
      %sum = add(%c3, %d) : f32[1,16,3,3]  # "add"
      %y = \(last) : f32[1,16,3,3]  # "last"
      output %y
    }
    """
  }

  @Test func mergesConv3AndStridedShortcut() throws {
    try assertPass(FuseProjectionShortcut(), input: Self.tail(), expected: """
      graph "g" {
        input %0 "h" : f32[1,4,3,3]
        input %1 "x" : f32[1,8,6,6]
        const %2 "conv3+shortcut.starts" : i64[2] #f914394bce81c14f
        const %3 "conv3+shortcut.ends" : i64[2] #b0138e61960a20a7
        const %4 "conv3+shortcut.axes" : i64[2] #6ff43a0b5a678239
        const %5 "conv3+shortcut.steps" : i64[2] #cff505f19c226318
        const %6 "conv3+shortcut.weight" : f32[16,12,1,1] #47a367c7924dcc8f
        const %7 "conv3+shortcut.bias" : f32[16] #72b514daee205b98
        %8 "conv3+shortcut.strided" = slice(%1, %2, %3, %4, %5) : f32[1,8,3,3]  # "conv3+shortcut.strided"
        %9 "conv3+shortcut.inputs" = concat(%0, %8) {axis=1} : f32[1,12,3,3]  # "conv3+shortcut.inputs"
        %10 "add_output_0" = conv(%9, %6, %7) {kernel_shape=[1,1]} : f32[1,16,3,3]  # "conv3+shortcut"
        %11 = relu(%10) : f32[1,16,3,3]  # "last"
        output %11
      }
      """)
  }

  @Test func leavesOtherShapesAlone() throws {
    let variants = [
      Self.tail(w3: "[16,4,3,3]", conv3: "kernel_shape=[3,3] pads=[1,1,1,1]"),  // 3×3 main branch
      Self.tail(wd: "[16,4,1,1]", down: "kernel_shape=[1,1] strides=[2,2] group=2"),  // grouped shortcut
      Self.tail(last: "add(%sum, %d)"),  // the shortcut's output is read twice
    ]
    for input in variants {
      let out = try runPass(FuseProjectionShortcut(), on: input)
      #expect(!out.contains("shortcut"), "merged:\n\(out)")
    }
  }
}
