#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CONNXProto
import CProtobufC
import GraphIR

/// Loads an ONNX model file into a `Graph`.
///
/// The file is memory-mapped; weights are unpacked one initializer at a time and copied once into aligned
/// storage, and consumed pages of the mapping are released as the walk proceeds, so peak memory stays close to
/// the size of the weights. External data is mapped zero-copy from files inside the model's directory.
public func loadONNX(path: String, options: ONNXLoadOptions = .init()) throws(ONNXReadError) -> Graph {
  let fileName = path.split(separator: "/").last.map(String.init) ?? path
  do {
    let file = try MappedFile(path: path)
    let dir = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
    let loader = ModelLoader(
      bytes: file.bytes, mapping: options.releaseConsumedPages ? file : nil,
      directory: dir.isEmpty ? "/" : dir, options: options)
    return try withExtendedLifetime(file) { () throws(ONNXReadError) -> Graph in try loader.load() }
  } catch {
    throw error.inFile(fileName)
  }
}

/// Loads an ONNX model from bytes in memory. External data is resolved relative to `directory` (refused if nil).
public func loadONNX(
  bytes: [UInt8], directory: String? = nil, options: ONNXLoadOptions = .init()
) throws(ONNXReadError) -> Graph {
  let result = bytes.withUnsafeBytes { (buf: UnsafeRawBufferPointer) -> Result<Graph, ONNXReadError> in
    let loader = ModelLoader(bytes: buf, mapping: nil, directory: directory, options: options)
    return Result { () throws(ONNXReadError) -> Graph in try loader.load() }
  }
  return try result.get()
}

/// Splits a serialized ModelProto into its weights and everything else, then builds the graph.
struct ModelLoader {
  let bytes: UnsafeRawBufferPointer
  /// The file mapping whose consumed pages may be released, or nil.
  let mapping: MappedFile?
  let directory: String?
  let options: ONNXLoadOptions

  func load() throws(ONNXReadError) -> Graph {
    guard bytes.count > 0 else { throw ONNXReadError(.emptyFile) }
    // Level 1: ModelProto. Field 7 is the graph; every other field is kept for one small unpack.
    var modelRest = ByteSink()
    var graphRest = ByteSink()
    var initializers: [Range<Int>] = []
    var sawGraph = false
    var top = WireReader(bytes, range: 0..<bytes.count)
    while !top.atEnd {
      let f = try top.next()
      guard f.number == 7 else {
        modelRest.append(bytes, f.whole)
        continue
      }
      guard f.wireType == 2 else {
        throw ONNXReadError(.notONNX(offset: f.whole.lowerBound, reason: "graph field has wire type \(f.wireType)"))
      }
      sawGraph = true
      // Level 2: GraphProto. Field 5 is an initializer; the rest (nodes, inputs, value_info, …) is small.
      var gr = WireReader(bytes, range: f.payload)
      while !gr.atEnd {
        let gf = try gr.next()
        if gf.number == 5 && gf.wireType == 2 {
          initializers.append(gf.payload)
        } else {
          graphRest.append(bytes, gf.whole)
        }
      }
    }
    guard sawGraph else { throw ONNXReadError(.notONNX(offset: 0, reason: "no graph field (7) in ModelProto")) }

    var graph = Graph()
    try decodeModelFields(modelRest.bytes, into: &graph.metadata)
    let resolver: ExternalDataResolver? = try directory.map { d throws(ONNXReadError) in
      try ExternalDataResolver(directory: d)
    }
    let tensors = TensorDecoder(options: options, external: resolver)

    // Weights: unpack one TensorProto at a time, copy its payload once, free it, release the consumed pages.
    // Their encoded size bounds what the copies need (external data is mapped, not copied).
    do {
      try MemoryBudget.check(initializers.reduce(0) { $0 + $1.count }, for: "the model's weights")
    } catch {
      throw ONNXReadError(.io(error.description))
    }
    var weights: [(name: String, data: TensorData)] = []
    weights.reserveCapacity(initializers.count)
    var released = 0
    for (i, r) in initializers.enumerated() {
      let data = try unpackTensor(r, index: i, tensors: tensors)
      weights.append(data)
      if let mapping, r.upperBound - released >= 1 << 20 {
        mapping.release(released..<r.upperBound)
        released = r.upperBound
      }
    }

    let nesting = graphRest.bytes.withUnsafeBytes { (b: UnsafeRawBufferPointer) -> Result<Void, ONNXReadError> in
      Result { () throws(ONNXReadError) in try checkSubgraphNesting(b, 0..<b.count, depth: 0) }
    }
    try nesting.get()
    let gp = try unpack(graphRest.bytes, what: "GraphProto", offset: 0) { n, p in
      onnx__graph_proto__unpack(nil, n, p)
    }
    defer { onnx__graph_proto__free_unpacked(gp, nil) }
    var builder = GraphBuilder(graph: graph, tensors: tensors)
    try builder.build(gp.pointee, weights: weights)
    return builder.graph
  }

  private func unpackTensor(_ r: Range<Int>, index: Int, tensors: TensorDecoder)
    throws(ONNXReadError) -> (name: String, data: TensorData)
  {
    guard let base = bytes.baseAddress,
      let tp = onnx__tensor_proto__unpack(nil, r.count, base.assumingMemoryBound(to: UInt8.self) + r.lowerBound)
    else {
      throw ONNXReadError(.notONNX(offset: r.lowerBound, reason: "initializer \(index) is not a valid TensorProto"))
    }
    defer { onnx__tensor_proto__free_unpacked(tp, nil) }
    let name = tp.pointee.name.map { String(cString: $0) } ?? ""
    guard !name.isEmpty else {
      throw ONNXReadError(.invalidModel("initializer \(index) has no name"))
    }
    return (name, try tensors.decode(tp, fallbackName: name))
  }

  private func decodeModelFields(_ buf: [UInt8], into meta: inout ModelMetadata) throws(ONNXReadError) {
    let mp = try unpack(buf, what: "ModelProto", offset: 0) { n, p in onnx__model_proto__unpack(nil, n, p) }
    defer { onnx__model_proto__free_unpacked(mp, nil) }
    let m = mp.pointee
    meta.irVersion = m.has_ir_version != 0 ? m.ir_version : 0
    meta.producerName = cString(m.producer_name)
    meta.producerVersion = cString(m.producer_version)
    meta.domain = cString(m.domain)
    meta.modelVersion = m.has_model_version != 0 ? m.model_version : 0
    meta.docString = cString(m.doc_string)
    for i in 0..<m.n_opset_import {
      guard let o = m.opset_import[i]?.pointee else { continue }
      meta.opsets[cString(o.domain)] = o.has_version != 0 ? o.version : 0
    }
    for i in 0..<m.n_metadata_props {
      guard let e = m.metadata_props[i]?.pointee else { continue }
      meta.properties.append((cString(e.key), cString(e.value)))
    }
  }

  /// The deepest nesting of graph attributes (If/Loop bodies) accepted; protobuf-c's unpack recurses per level.
  static let maxSubgraphDepth = 32

  /// Refuses GraphProtos whose node attributes nest subgraphs deeper than `maxSubgraphDepth` (a hostile file
  /// would otherwise overflow the stack inside protobuf-c). Walks graph.node(1) → attribute(5) → g(6)/graphs(11).
  private func checkSubgraphNesting(_ b: UnsafeRawBufferPointer, _ graph: Range<Int>, depth: Int)
    throws(ONNXReadError)
  {
    guard depth <= ModelLoader.maxSubgraphDepth else {
      throw ONNXReadError(.invalidModel("subgraphs nested deeper than \(ModelLoader.maxSubgraphDepth) levels"))
    }
    var g = WireReader(b, range: graph)
    while !g.atEnd {
      // Malformed bytes are left for protobuf-c to report; this walk only measures depth.
      guard let n = try? g.next() else { return }
      guard n.number == 1, n.wireType == 2 else { continue }
      var node = WireReader(b, range: n.payload)
      while !node.atEnd {
        guard let a = try? node.next() else { return }
        guard a.number == 5, a.wireType == 2 else { continue }
        var attr = WireReader(b, range: a.payload)
        while !attr.atEnd {
          guard let f = try? attr.next() else { return }
          if (f.number == 6 || f.number == 11) && f.wireType == 2 {
            try checkSubgraphNesting(b, f.payload, depth: depth + 1)
          }
        }
      }
    }
  }

  /// Runs a protobuf-c unpack over `buf`, turning failure into a parse error.
  private func unpack<T>(
    _ buf: [UInt8], what: String, offset: Int, _ f: (Int, UnsafePointer<UInt8>) -> UnsafeMutablePointer<T>?
  ) throws(ONNXReadError) -> UnsafeMutablePointer<T> {
    let r: UnsafeMutablePointer<T>? = buf.withUnsafeBufferPointer { b in
      // protobuf-c accepts a null pointer only for length 0; give it a valid one.
      guard let p = b.baseAddress else { return withUnsafePointer(to: 0 as UInt8) { f(0, $0) } }
      return f(b.count, p)
    }
    guard let r else { throw ONNXReadError(.notONNX(offset: offset, reason: "\(what) fields do not parse")) }
    return r
  }
}

/// A C string as a Swift string ("" for null).
func cString(_ p: UnsafeMutablePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
