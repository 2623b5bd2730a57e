/// Which weights each step should pull towards the caches while it runs: the largest weight buffer of the next
/// step that reads weights (packed conv/FC weights stream from DRAM at batch 1; fetching them during the previous
/// layer hides that). Used by the runtime (`modc_pool_prefetch` before every step) and by emitted C.
public struct PrefetchRegion: Sendable, Equatable {
  /// Byte offset into the weights blob and length; `bytes == 0` means nothing to fetch.
  public var offset: Int
  public var bytes: Int
  public static let none = PrefetchRegion(offset: 0, bytes: 0)
}

extension Schedule {
  /// One region per step (see `PrefetchRegion`).
  public func prefetchRegions() -> [PrefetchRegion] {
    var result = [PrefetchRegion](repeating: .none, count: steps.count)
    var next = PrefetchRegion.none
    for i in steps.indices.reversed() {
      result[i] = next
      if let mine = largestWeight(of: steps[i]) { next = mine }
    }
    return result
  }

  /// The hints to issue: before step i, `result[i]` when the region changes there (nil: keep fetching the current
  /// one; a run starts with none, and ends with none after the last weights). Shared by the runtime and emitted C.
  public func prefetchHints() -> [PrefetchRegion?] {
    var current = PrefetchRegion.none
    return prefetchRegions().map { r in
      defer { current = r }
      return r == current ? nil : r
    }
  }

  private func largestWeight(of step: Step) -> PrefetchRegion? {
    var best: PrefetchRegion?
    for b in step.inputs {
      guard case .weight(let off) = buffers[b].location else { continue }
      let bytes = buffers[b].byteCount
      if bytes > (best?.bytes ?? 0) { best = PrefetchRegion(offset: off, bytes: bytes) }
    }
    return best
  }
}
