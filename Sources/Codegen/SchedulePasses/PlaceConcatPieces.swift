/// One copy step of a lowered concat whose source is a contiguous block of the concat's buffer.
struct ConcatPiece {
  /// Index of the copy step in the schedule (before any step is removed).
  var step: Int
  /// The buffer copied, and the concat's buffer it is copied into at `byteOffset`.
  var piece: Int
  var concat: Int
  var byteOffset: Int
}

/// Lets the producers of a concat's pieces write straight into the concat's buffer: each qualifying piece becomes
  /// a view at its offset and its copy step goes away. ResNet projection shortcuts merged by `FuseProjectionShortcut`
  /// rely on this: the 3×3 conv writes its output and the strided slice writes the shortcut's input into the merged
  /// conv's input, with no copy. A piece qualifies when both it and the concat are plain arena buffers (no view of
  /// either, in no in-place chain, neither a graph output) and it appears once in the concat. The
  /// planner sees writes of the piece as writes of the concat's buffer, so that buffer lives from the first piece
/// written to the concat's last reader.
public struct PlaceConcatPieces: SchedulePass {
  public static let summary = "Batch-1 channel concats: pieces become offset views of the concat's buffer (no copies)."
  public init() {}
  public func run(on draft: inout ScheduleDraft) { draft.placeConcatPieces() }
}

extension ScheduleDraft {
  mutating func placeConcatPieces() {
    guard !concatPieces.isEmpty else { return }
    let inPlaceSources = Set(inPlace.values)
    let viewed = Set(aliasOf.values)
    var pieceCount: [Int: Int] = [:]
    for p in concatPieces { pieceCount[p.piece, default: 0] += 1 }
    func plain(_ b: Int) -> Bool {
      guard case .arena = schedule.buffers[b].location else { return false }
      return aliasOf[b] == nil && !viewed.contains(b) && !graphOutputs.contains(b) && inPlace[b] == nil
        && !inPlaceSources.contains(b)
    }
    // A buffer is either a base that receives pieces or a piece placed in one, never both (no view chains):
    // `plain` reads the growing `aliasOf`, and `bases` holds the concats already receiving pieces.
    var bases = Set<Int>()
    var dropped = Set<Int>()
    for p in concatPieces where pieceCount[p.piece] == 1 && !bases.contains(p.piece) && plain(p.piece) && plain(p.concat) {
      aliasOf[p.piece] = p.concat
      viewOffset[p.piece] = p.byteOffset
      bases.insert(p.concat)
      dropped.insert(p.step)
    }
    guard !dropped.isEmpty else { return }
    schedule.steps = schedule.steps.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
  }
}
