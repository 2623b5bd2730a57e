import Codegen
import Compiler
import GraphIR
import Passes

// `modc_compile`: the compile driver in-process (include/modc_runtime.h, "Compiling"). The options struct is read
// field by field up to its declared `struct_size`, so callers built against an older, shorter struct keep working.

/// `modc_compile_options` as laid out in modc_runtime.h (C layout; `struct_size` first).
struct CCompileOptions {
  var structSize: Int = MemoryLayout<CCompileOptions>.size
  var modEvery: Int32 = 0
  var capacity: Int32 = 0
  var modBlocks: UnsafePointer<CChar>?
  var fusion: UnsafePointer<CChar>?
  var routerWeights: UnsafePointer<CChar>?
  var seed: UInt64 = 0
  var force: Int32 = 0
  var noRecognizeMoD: Int32 = 0
  var batch: Int32 = 0
  var inputShapes: UnsafePointer<CChar>?
  var target: UnsafePointer<CChar>?
  var convAlgo: UnsafePointer<CChar>?
  var precision: UnsafePointer<CChar>?

  /// The typed options; every string field is checked like the CLI flag of the same name.
  func compileOptions() throws(CompileOptionsError) -> CompileOptions {
    func text(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }
    var o = CompileOptions()
    let blocks = text(modBlocks)
    if modEvery != 0 || blocks != nil || routerWeights != nil || capacity != 0 {
      if modEvery != 0 && blocks != nil { throw CompileOptionsError("mod_every and mod_blocks are mutually exclusive") }
      let fusionName = text(fusion) ?? "first-k"
      guard let f = MoDFusion(rawValue: fusionName) else {
        throw CompileOptionsError("fusion must be first-k or scatter, got '\(fusionName)'")
      }
      var placement = MoDPlacement.every(Int(modEvery == 0 ? 2 : modEvery))
      if let blocks { placement = .blocks(try CompileOptions.parseBlockList(blocks)) }
      o.mod = MoDOptions(placement: placement, capacity: capacity == 0 ? 64 : Int(capacity), fusion: f,
        routerWeights: text(routerWeights).map(RouterWeights.file), seed: seed)
    }
    o.force = force != 0
    o.recognizeMoD = noRecognizeMoD == 0
    if batch < 0 { throw CompileOptionsError("batch must be ≥ 0 (0: the model's), got \(batch)") }
    o.batch = batch > 0 ? Int(batch) : nil
    for spec in (text(inputShapes) ?? "").split(separator: ";") where !spec.isEmpty {
      let (name, dims) = try CompileOptions.parseInputShape(String(spec))
      o.inputShapes[name] = dims
    }
    let t = text(target) ?? "native"
    guard let tc = TargetChoice(t) else {
      throw CompileOptionsError("target must be one of \(TargetChoice.names.joined(separator: ", ")), got '\(t)'")
    }
    o.target = tc
    let a = text(convAlgo) ?? "auto"
    guard let ca = ConvAlgorithmPolicy(rawValue: a) else {
      throw CompileOptionsError("conv_algo must be auto, direct, winograd or winograd2, got '\(a)'")
    }
    o.convAlgorithm = ca
    let p = text(precision) ?? "fp32"
    guard let pr = Precision(rawValue: p) else { throw CompileOptionsError("precision must be fp32, int8 or bf16, got '\(p)'") }
    o.precision = pr
    try o.validate()
    return o
  }
}

@_cdecl("modc_compile_options_init")
public func modc_compile_options_init(_ options: UnsafeMutableRawPointer?) {
  options?.storeBytes(of: CCompileOptions(), as: CCompileOptions.self)
}

@_cdecl("modc_compile")
public func modc_compile(
  _ modelPath: UnsafePointer<CChar>?, _ options: UnsafeRawPointer?, _ planPath: UnsafePointer<CChar>?
) -> Int32 {
  withStatus("modc_compile") { () throws(APIError) in
    guard let modelPath else { throw .invalid("model_path is NULL") }
    guard let planPath else { throw .invalid("plan_path is NULL") }
    var c = CCompileOptions()
    if let options {
      let size = options.load(as: Int.self)
      guard size >= MemoryLayout<Int>.size, size <= 4096 else {
        throw .invalid("options->struct_size \(size) is not a modc_compile_options size (use modc_compile_options_init)")
      }
      // Copy the caller's prefix over the defaults: fields it does not know keep their defaults.
      withUnsafeMutableBytes(of: &c) { dst in
        dst.copyMemory(from: UnsafeRawBufferPointer(start: options, count: min(size, dst.count)))
      }
      c.structSize = MemoryLayout<CCompileOptions>.size
    }
    let opts: CompileOptions
    do { opts = try c.compileOptions() } catch let e as CompileOptionsError { throw .invalid(e.message) } catch {
      throw .invalid("\(error)")
    }
    let model = String(cString: modelPath)
    do {
      let compiled = try Compiler.compile(path: model, options: opts)
      try compiled.writePlan(to: String(cString: planPath), producer: "modc \(runtimeVersion)",
        metadata: [("source", AtomicFile.baseName(of: model)), ("command", "modc_compile")])
    } catch let e as CompileOptionsError {
      throw .invalid(e.message)
    } catch {
      throw APIError(Status.compile, oneLineDescription(error))
    }
  }
}
