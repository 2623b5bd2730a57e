import GraphIR
import Passes
import Testing

/// Parses `input`, runs `pass`, verifies the result and returns the printed IR (without the header line noise).
func runPass(_ pass: any Pass, on input: String, verify: Bool = true) throws -> String {
  var g = try parseGraph(input)
  try ShapeInference().run(on: &g)
  var ctx = PassContext()
  try pass.run(on: &g, context: &ctx)
  if verify { try Verifier.verify(g) }
  return printGraph(g)
}

/// Golden test: the pass turns `input` into exactly `expected` (both compared after trimming outer whitespace).
/// Set RECORD_GOLDEN=1 to print the actual output instead of failing silently on a mismatch.
func assertPass(
  _ pass: any Pass, input: String, expected: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws {
  let actual = try runPass(pass, on: input)
  let a = actual.trimmingCharacters()
  let e = expected.trimmingCharacters()
  if a != e { print("----- actual output of \(type(of: pass).name) -----\n\(a)\n-----") }
  #expect(a == e, sourceLocation: sourceLocation)
}

extension String {
  func trimmingCharacters() -> String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s.removeFirst() }
    while let l = s.last, l.isWhitespace { s.removeLast() }
    return String(s)
  }
}
