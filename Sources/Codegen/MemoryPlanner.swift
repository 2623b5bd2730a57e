/// Where a planned buffer lives: the shared, reused arena, or one of two regions the caller provides for the graph's
/// inputs and outputs (pinned, so the caller can read results and write inputs without copies).
public enum PlannerRegion: UInt8, Sendable, Hashable, CaseIterable {
  case arena = 0, inputs = 1, outputs = 2
}

/// One buffer to place: its byte size and live interval in schedule steps (inclusive at both ends).
///
/// `inPlaceOf` is a hint: this buffer may take the memory of that buffer (an input of the step that writes this
/// one, e.g. ReLU or Add). The planner uses it only when legal: the input dies at this step, sizes match, and both
/// live in the arena.
public struct PlannerBuffer: Sendable, Hashable {
  public var id: Int
  public var size: Int
  public var firstUse: Int
  public var lastUse: Int
  public var inPlaceOf: Int?
  public var region: PlannerRegion

  public init(id: Int, size: Int, firstUse: Int, lastUse: Int, inPlaceOf: Int? = nil, region: PlannerRegion = .arena) {
    self.id = id
    self.size = size
    self.firstUse = firstUse
    self.lastUse = lastUse
    self.inPlaceOf = inPlaceOf
    self.region = region
  }
}

/// One step of a linear schedule: the buffers it reads and writes, and in-place hints (output id → input id).
public struct PlannerStep: Sendable, Hashable {
  public var reads: [Int]
  public var writes: [Int]
  public var inPlace: [Int: Int]

  public init(reads: [Int], writes: [Int], inPlace: [Int: Int] = [:]) {
    self.reads = reads
    self.writes = writes
    self.inPlace = inPlace
  }
}

/// Where one buffer was placed.
public struct BufferPlacement: Sendable, Hashable {
  public var id: Int
  public var region: PlannerRegion
  /// Byte offset within the region; a multiple of `MemoryPlanner.alignment`.
  public var offset: Int
  public var size: Int
  public var firstUse: Int
  public var lastUse: Int
  /// The buffer whose memory this one reuses in place (same offset), if the hint was taken.
  public var inPlaceOf: Int?

  public init(
    id: Int, region: PlannerRegion, offset: Int, size: Int, firstUse: Int, lastUse: Int, inPlaceOf: Int? = nil
  ) {
    self.id = id
    self.region = region
    self.offset = offset
    self.size = size
    self.firstUse = firstUse
    self.lastUse = lastUse
    self.inPlaceOf = inPlaceOf
  }
}

/// An invalid planner input, or a plan that fails verification (e.g. two live buffers overlap).
public struct MemoryPlanError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { "memory plan: \(message)" }
}

/// The result of planning: every buffer's region and offset, and the region sizes.
public struct MemoryPlan: Sendable, Equatable {
  /// Placements, sorted by buffer id.
  public var placements: [BufferPlacement]
  /// Bytes of the reused arena.
  public var arenaSize: Int
  /// Bytes of the pinned graph-input region.
  public var inputsSize: Int
  /// Bytes of the pinned graph-output region.
  public var outputsSize: Int

  public init(placements: [BufferPlacement], arenaSize: Int, inputsSize: Int, outputsSize: Int) {
    self.placements = placements.sorted { $0.id < $1.id }
    self.arenaSize = arenaSize
    self.inputsSize = inputsSize
    self.outputsSize = outputsSize
  }

  /// Sum of the sizes of all arena buffers: the arena a planner without reuse would need (before alignment).
  public var totalArenaBufferBytes: Int {
    placements.lazy.filter { $0.region == .arena }.reduce(0) { $0 + $1.size }
  }

  /// Bytes saved by reuse compared with giving every arena buffer its own memory (may be negative for tiny,
  /// unaligned buffers, since every offset is rounded up to the alignment).
  public var savedBytes: Int { totalArenaBufferBytes - arenaSize }

  /// The placement of buffer `id`.
  public func placement(of id: Int) -> BufferPlacement? {
    var lo = 0, hi = placements.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if placements[mid].id < id { lo = mid + 1 } else { hi = mid }
    }
    return lo < placements.count && placements[lo].id == id ? placements[lo] : nil
  }

  /// Checks the plan: aligned offsets inside their regions, unique ids, and no two buffers that are live at the
  /// same step share a byte, except a buffer and the one it replaced in place (same offset, handing over at the
  /// step where one dies and the other is born).
  public func verify() throws(MemoryPlanError) {
    let size: [PlannerRegion: Int] = [.arena: arenaSize, .inputs: inputsSize, .outputs: outputsSize]
    var byRegion: [PlannerRegion: [BufferPlacement]] = [:]
    var previousID: Int?
    for p in placements {
      if let previousID, previousID >= p.id { throw MemoryPlanError("buffer ids are not unique and sorted at \(p.id)") }
      previousID = p.id
      guard p.size >= 0, p.offset >= 0, p.firstUse <= p.lastUse else {
        throw MemoryPlanError("buffer \(p.id) has a negative size/offset or an empty live interval")
      }
      guard p.offset % MemoryPlanner.alignment == 0 else {
        throw MemoryPlanError("buffer \(p.id) offset \(p.offset) is not \(MemoryPlanner.alignment)-byte aligned")
      }
      guard p.size <= (size[p.region] ?? 0) - p.offset else {
        throw MemoryPlanError("buffer \(p.id) [\(p.offset), +\(p.size)) exceeds its \(p.region) region")
      }
      byRegion[p.region, default: []].append(p)
    }
    for (_, list) in byRegion {
      // Sweep by time: each buffer is compared with the buffers still live when it is born (linear in the number
      // of buffers times the live set, where a sweep by offset is quadratic when thousands reuse one offset).
      let sorted = list.filter { $0.size > 0 }.sorted { ($0.firstUse, $0.id) < ($1.firstUse, $1.id) }
      var live: [BufferPlacement] = []
      for b in sorted {
        live.removeAll { $0.lastUse < b.firstUse }
        for a in live where a.offset < b.offset + b.size && b.offset < a.offset + a.size {
          if isHandover(a, b) || isHandover(b, a) { continue }
          let (x, y) = (a.offset, a.id) < (b.offset, b.id) ? (a, b) : (b, a)
          throw MemoryPlanError(
            "buffers \(x.id) [\(x.offset), +\(x.size)) live \(x.firstUse)...\(x.lastUse) and \(y.id) "
              + "[\(y.offset), +\(y.size)) live \(y.firstUse)...\(y.lastUse) overlap")
        }
        live.append(b)
      }
    }
  }

  /// `to` legitimately reuses `from`'s memory in place.
  private func isHandover(_ from: BufferPlacement, _ to: BufferPlacement) -> Bool {
    to.inPlaceOf == from.id && from.lastUse == to.firstUse && from.offset == to.offset && from.size == to.size
  }
}

/// Static memory planning for a linear schedule: liveness, then greedy-by-size placement into one arena.
///
/// 1. `liveness` turns schedule steps into live intervals (graph inputs live from step 0, graph outputs to the end).
/// 2. `plan` merges in-place chains (ReLU/Add writing over an input that dies at that step) into one interval.
/// 3. Chains are placed largest first; each goes into the smallest gap, among the already placed chains whose
///    intervals overlap its own, that fits it, or above all of them (TFLite's greedy-by-size with best fit).
/// Every offset and size is rounded up to 64 bytes.
public enum MemoryPlanner {
  /// Alignment of every buffer offset, in bytes.
  public static let alignment = 64

  /// Live intervals of every buffer touched by `steps`. `sizes` gives each buffer's bytes; graph inputs (never
  /// written by a step) and graph outputs go to the pinned regions when `pinGraphIO` is set, else to the arena.
  public static func liveness(
    steps: [PlannerStep], sizes: [Int: Int], graphInputs: Set<Int>, graphOutputs: Set<Int>, pinGraphIO: Bool = true
  ) throws(MemoryPlanError) -> [PlannerBuffer] {
    var first: [Int: Int] = [:]
    var last: [Int: Int] = [:]
    var hint: [Int: Int] = [:]
    for g in graphInputs {
      first[g] = 0
      last[g] = 0
    }
    for (s, step) in steps.enumerated() {
      for r in step.reads {
        guard first[r] != nil else { throw MemoryPlanError("step \(s) reads buffer \(r) before any step writes it") }
        last[r] = s
      }
      for w in step.writes {
        guard first[w] == nil else { throw MemoryPlanError("step \(s) writes buffer \(w), which is already defined") }
        first[w] = s
        last[w] = s
      }
      for (out, input) in step.inPlace.sorted(by: { $0.key < $1.key }) {
        guard step.writes.contains(out), step.reads.contains(input) else {
          throw MemoryPlanError("step \(s) in-place hint \(out) ← \(input) must name one of its outputs and inputs")
        }
        hint[out] = input
      }
    }
    let end = max(steps.count - 1, 0)
    for o in graphOutputs {
      guard first[o] != nil else { throw MemoryPlanError("graph output \(o) is never written") }
      last[o] = end
    }
    var buffers: [PlannerBuffer] = []
    for (id, f) in first.sorted(by: { $0.key < $1.key }) {
      guard let size = sizes[id], size >= 0 else { throw MemoryPlanError("buffer \(id) has no size") }
      let region: PlannerRegion =
        pinGraphIO && graphInputs.contains(id) ? .inputs : pinGraphIO && graphOutputs.contains(id) ? .outputs : .arena
      buffers.append(
        PlannerBuffer(id: id, size: size, firstUse: f, lastUse: last[id] ?? f, inPlaceOf: hint[id], region: region))
    }
    return buffers
  }

  /// Places `buffers`; the result always passes `MemoryPlan.verify()`.
  public static func plan(_ buffers: [PlannerBuffer]) throws(MemoryPlanError) -> MemoryPlan {
    var byID: [Int: PlannerBuffer] = [:]
    for b in buffers {
      guard byID[b.id] == nil else { throw MemoryPlanError("buffer \(b.id) is listed twice") }
      guard b.size >= 0, b.firstUse >= 0, b.firstUse <= b.lastUse else {
        throw MemoryPlanError("buffer \(b.id) has a negative size or an empty live interval")
      }
      byID[b.id] = b
    }
    // In-place chains, built in birth order: a buffer joins the chain whose tail it replaces.
    var chainOf: [Int: Int] = [:]  // buffer id → chain index
    var chains: [[Int]] = []
    var taken: Set<Int> = []
    var resolvedInPlace: [Int: Int] = [:]
    for b in buffers.sorted(by: { ($0.firstUse, $0.id) < ($1.firstUse, $1.id) }) where b.region == .arena {
      if let src = b.inPlaceOf, let s = byID[src], s.region == .arena, s.lastUse == b.firstUse, s.size == b.size,
        s.firstUse < b.firstUse, !taken.contains(src), let c = chainOf[src]
      {
        taken.insert(src)
        resolvedInPlace[b.id] = src
        chains[c].append(b.id)
        chainOf[b.id] = c
      } else {
        chainOf[b.id] = chains.count
        chains.append([b.id])
      }
    }
    struct Interval {
      var chain: Int
      var size: Int
      var first: Int
      var last: Int
      var offset = 0
    }
    var intervals: [Interval] = chains.enumerated().map { c, ids in
      let members = ids.compactMap { byID[$0] }
      return Interval(
        chain: c, size: alignUp(members[0].size, to: alignment), first: members[0].firstUse,
        last: members.map(\.lastUse).max() ?? members[0].lastUse)
    }
    let order = intervals.indices.sorted {
      let a = intervals[$0], b = intervals[$1]
      return (b.size, a.first, a.chain) < (a.size, b.first, b.chain)
    }
    var placed = PlacedIntervals(steps: (intervals.map(\.last).max() ?? 0) + 1)
    var rank = [Int](repeating: 0, count: intervals.count)  // placement order, the tie-break for equal offsets
    var arenaSize = 0
    for (r, i) in order.enumerated() {
      let cur = intervals[i]
      let overlapping = placed.overlapping(first: cur.first, last: cur.last)
        .sorted { (intervals[$0].offset, rank[$0]) < (intervals[$1].offset, rank[$1]) }
      var best: Int?
      var bestGap = Int.max
      var end = 0
      for p in overlapping {
        let gap = intervals[p].offset - end
        if gap >= cur.size, gap < bestGap {
          best = end
          bestGap = gap
        }
        end = max(end, intervals[p].offset + intervals[p].size)
      }
      intervals[i].offset = best ?? end
      arenaSize = max(arenaSize, intervals[i].offset + cur.size)
      rank[i] = r
      placed.insert(i, first: cur.first, last: cur.last)
    }
    var placements: [BufferPlacement] = []
    for iv in intervals {
      for id in chains[iv.chain] {
        guard let b = byID[id] else { continue }
        placements.append(
          BufferPlacement(
            id: id, region: .arena, offset: iv.offset, size: b.size, firstUse: b.firstUse, lastUse: b.lastUse,
            inPlaceOf: resolvedInPlace[id]))
      }
    }
    var regionSize: [PlannerRegion: Int] = [.inputs: 0, .outputs: 0]
    for b in buffers.sorted(by: { $0.id < $1.id }) where b.region != .arena {
      let off = regionSize[b.region] ?? 0
      placements.append(
        BufferPlacement(id: b.id, region: b.region, offset: off, size: b.size, firstUse: b.firstUse, lastUse: b.lastUse))
      regionSize[b.region] = off + alignUp(b.size, to: alignment)
    }
    let plan = MemoryPlan(
      placements: placements, arenaSize: arenaSize, inputsSize: regionSize[.inputs] ?? 0,
      outputsSize: regionSize[.outputs] ?? 0)
    try plan.verify()
    return plan
  }
}

/// The live intervals placed so far, indexed so that "which placed intervals overlap [first, last]" costs time
/// proportional to the answer (plus log steps and the query's length), not to the number placed.
///
/// An interval overlaps [a, b] iff it contains step a or starts in (a, b]: a segment tree over steps answers the
/// first (stabbing) part, a per-step list of starts the second.
struct PlacedIntervals {
  private var size = 1
  private var tree: [[Int]]
  private var startsAt: [[Int]]

  init(steps: Int) {
    while size < max(steps, 1) { size *= 2 }
    tree = Array(repeating: [], count: 2 * size)
    startsAt = Array(repeating: [], count: size)
  }

  mutating func insert(_ id: Int, first: Int, last: Int) {
    startsAt[first].append(id)
    var lo = first + size, hi = last + size + 1
    while lo < hi {
      if lo & 1 == 1 { tree[lo].append(id); lo += 1 }
      if hi & 1 == 1 { hi -= 1; tree[hi].append(id) }
      lo >>= 1
      hi >>= 1
    }
  }

  /// Ids of the inserted intervals that share at least one step with [first, last] (each once, unordered).
  func overlapping(first: Int, last: Int) -> [Int] {
    var out: [Int] = []
    var p = first + size
    while p >= 1 {
      out += tree[p]
      p >>= 1
    }
    if first < last { for s in (first + 1)...last { out += startsAt[s] } }
    return out
  }
}
