import Codegen
import Foundation
import ModcRuntimeAPI
import TestSupport
import Testing

/// The C ABI called directly (the @_cdecl functions are also public Swift functions): argument validation,
/// status codes, messages, memory opening, contexts and concurrency.
@Suite(
  .requires(Env.model("cifar_resnet20_op17") != nil, "cifar_resnet20_op17 (shared/fixtures or the generated models)"),
  .requires(FileManager.default.isExecutableFile(atPath: Env.debugDir.appendingPathComponent("modc").path),
    "the built modc (.build/debug/modc)"))
struct CABITests {
  typealias Handle = OpaquePointer

  func lastError() -> String { String(cString: modc_last_error()) }

  func open(_ path: String) throws -> Handle {
    var s: Handle? = nil
    let rc = modc_session_open(path, &s)
    #expect(rc == 0, "\(lastError())")
    return try #require(s)
  }

  /// Runs `session` (or `context`) on `input`; returns the status and the output.
  func run(session: Handle? = nil, context: Handle? = nil, _ input: [Float], outputCount: Int = 10) -> (Int32, [Float]) {
    var out = [Float](repeating: .nan, count: outputCount)
    let rc = input.withUnsafeBytes { i in
      out.withUnsafeMutableBytes { o in
        var ins: [UnsafeRawPointer?] = [i.baseAddress]
        var outs: [UnsafeMutableRawPointer?] = [o.baseAddress]
        if let context { return modc_context_run(context, &ins, 1, &outs, 1) }
        return modc_session_run(session, &ins, 1, &outs, 1)
      }
    }
    return (rc, out)
  }

  @Test func describesInputsAndOutputs() throws {
    let fx = try #require(ABIFixture.cifar, "modc convert cifar_resnet20_op17 failed")
    let s = try open(fx.plan)
    defer { modc_session_close(s) }
    var n = 0
    #expect(modc_session_input_count(s, &n) == 0 && n == 1)
    #expect(modc_session_output_count(s, &n) == 0 && n == 1)
    var name: UnsafePointer<CChar>? = nil
    #expect(modc_session_input_name(s, 0, &name) == 0)
    #expect(name.map { String(cString: $0) } == "input")
    var rank = 0
    var dims: UnsafePointer<Int64>? = nil
    #expect(modc_session_input_shape(s, 0, &rank, &dims) == 0)
    #expect(rank == 4 && dims.map { Array(UnsafeBufferPointer(start: $0, count: 4)) } == [1, 3, 32, 32])
    #expect(modc_session_output_shape(s, 0, &rank, &dims) == 0)
    #expect(rank == 2 && dims.map { Array(UnsafeBufferPointer(start: $0, count: 2)) } == [1, 10])
    var dtype: Int32 = 0
    #expect(modc_session_output_dtype(s, 0, &dtype) == 0 && dtype == 1)
    var bytes = 0
    #expect(modc_session_input_byte_size(s, 0, &bytes) == 0 && bytes == 3 * 32 * 32 * 4)
    var index = 99
    #expect(modc_session_output_index(s, "output", &index) == 0 && index == 0)
    #expect(modc_session_output_index(s, "logits", &index) == -2)
    #expect(lastError().contains("no output named 'logits'") && lastError().contains("'output'"))
    #expect(modc_session_input_name(s, 1, &name) == -2)
    #expect(lastError() == "modc_session_input_name: input index 1 is out of range (the plan has 1)")
    #expect(modc_session_output_shape(s, -1, &rank, &dims) == -2)
    #expect(modc_session_input_shape(s, 0, nil, &dims) == -1)
    #expect(lastError().contains("out_rank is NULL"))
    #expect(modc_session_input_count(nil, &n) == -1)
    #expect(lastError() == "modc_session_input_count: modc_session is NULL")
    #expect(String(cString: modc_version()) == "0.1.0" && modc_abi_version() == 1)
  }

  @Test func openingFailuresAreReported() throws {
    var s: Handle? = nil
    #expect(modc_session_open(nil, &s) == -1 && s == nil)
    #expect(modc_session_open("/nonexistent/x.modplan", nil) == -1)
    #expect(modc_session_open("/nonexistent/x.modplan", &s) == -3 && s == nil)
    #expect(lastError().contains("/nonexistent/x.modplan") && lastError().contains("cannot open"))
    let junk = [UInt8](repeating: 7, count: 256)
    #expect(modc_session_open_memory(junk, junk.count, 0, &s) == -4)
    #expect(lastError().contains("not a modc plan"))
    #expect(modc_session_open_memory(junk, 0, 0, &s) == -1)
    #expect(modc_session_open_memory(nil, 16, 0, &s) == -1)
    #expect(modc_session_open_memory(junk, junk.count, 7, &s) == -1)
    #expect(lastError().contains("unknown flags 7"))
  }

  @Test func memoryCopyAndBorrowMatchFile() throws {
    let fx = try #require(ABIFixture.cifar)
    let image = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fx.plan)))
    let fromFile = try open(fx.plan)
    defer { modc_session_close(fromFile) }
    let want = run(session: fromFile, fx.input)
    #expect(want.0 == 0)
    #expect(relDiff(want.1, fx.output) <= 1e-4)

    var copied: Handle? = nil
    #expect(modc_session_open_memory(image, image.count, 0, &copied) == 0)
    #expect(run(session: copied, fx.input).1 == want.1)
    modc_session_close(copied)

    let aligned = UnsafeMutableRawPointer.allocate(byteCount: image.count + 1, alignment: 64)
    defer { aligned.deallocate() }
    image.withUnsafeBytes { aligned.copyMemory(from: $0.baseAddress!, byteCount: image.count) }
    var borrowed: Handle? = nil
    #expect(modc_session_open_memory(aligned + 1, image.count, 1, &borrowed) == -1)
    #expect(lastError().contains("64-byte aligned"))
    #expect(modc_session_open_memory(aligned, image.count, 1, &borrowed) == 0)
    #expect(run(session: borrowed, fx.input).1 == want.1)
    modc_session_close(borrowed)
  }

  @Test func runValidatesBuffers() throws {
    let fx = try #require(ABIFixture.cifar)
    let s = try open(fx.plan)
    defer { modc_session_close(s) }
    var input = fx.input
    var out = [Float](repeating: 0, count: 10)
    input.withUnsafeMutableBytes { i in
      out.withUnsafeMutableBytes { o in
        var ins: [UnsafeRawPointer?] = [UnsafeRawPointer(i.baseAddress)]
        var outs: [UnsafeMutableRawPointer?] = [o.baseAddress]
        #expect(modc_session_run(s, &ins, 2, &outs, 1) == -5)
        #expect(lastError().contains("1 input(s) and 1 output(s), got 2 input and 1 output buffer(s)"))
        #expect(modc_session_run(s, nil, 1, &outs, 1) == -1)
        var nullIn: [UnsafeRawPointer?] = [nil]
        #expect(modc_session_run(s, &nullIn, 1, &outs, 1) == -1)
        #expect(lastError().contains("input buffer for 'input' is NULL"))
        var skewed: [UnsafeMutableRawPointer?] = [o.baseAddress! + 1]
        #expect(modc_session_run(s, &ins, 1, &skewed, 1) == -1)
        #expect(lastError().contains("not 4-byte aligned"))
        var overlapping: [UnsafeMutableRawPointer?] = [i.baseAddress! + 64]
        #expect(modc_session_run(s, &ins, 1, &overlapping, 1) == -1)
        #expect(lastError().contains("output 'output' buffer overlaps input 'input' buffer"))
        #expect(modc_session_run(s, &ins, 1, &outs, 1) == 0)
      }
    }
    #expect(relDiff(out, fx.output) <= 1e-4)
  }

  @Test func handlesOfTheWrongKindAreRejected() throws {
    let fx = try #require(ABIFixture.cifar)
    let s = try open(fx.plan)
    var c: Handle? = nil
    #expect(modc_context_create(s, 1, &c) == 0)
    var n = 0
    #expect(modc_session_input_count(c, &n) == -1)
    #expect(lastError().contains("not a modc_session"))
    #expect(modc_context_set_threads(s, 2) == -1)
    #expect(lastError().contains("not a modc_context"))
    // The context keeps the plan alive after the session is closed.
    modc_session_close(s)
    let (rc, y) = run(context: c, fx.input)
    #expect(rc == 0)
    #expect(relDiff(y, fx.output) <= 1e-4)
    modc_context_destroy(c)
    modc_context_destroy(nil)
    modc_session_close(nil)
  }

  @Test func threadCounts() throws {
    let fx = try #require(ABIFixture.cifar)
    let s = try open(fx.plan)
    defer { modc_session_close(s) }
    var t: Int32 = 0
    #expect(modc_session_set_threads(s, 3) == 0)
    #expect(modc_session_threads(s, &t) == 0 && t == 3)
    #expect(modc_session_set_threads(s, 5000) == -1)
    var c: Handle? = nil
    #expect(modc_context_create(s, 0, &c) == 0)
    #expect(modc_context_threads(c, &t) == 0 && t == 3)
    #expect(modc_context_set_threads(c, 2) == 0)
    #expect(modc_context_threads(c, &t) == 0 && t == 2)
    var tooMany: Handle? = nil
    #expect(modc_context_create(s, 1 << 20, &tooMany) == -1 && tooMany == nil)
    #expect(run(context: c, fx.input).1 == run(session: s, fx.input).1)
    modc_context_destroy(c)
  }

  @Test func lastErrorIsPerThread() throws {
    var s: Handle? = nil
    #expect(modc_session_open("/nonexistent/main-thread.modplan", &s) == -3)
    let other = Thread.detachNewThreadWithResult {
      var t: Handle? = nil
      _ = modc_session_open("/nonexistent/other-thread.modplan", &t)
      return String(cString: modc_last_error())
    }
    #expect(other.contains("other-thread"))
    #expect(lastError().contains("main-thread"))
  }

  @Test func concurrentRunsOnOneSession() throws {
    let fx = try #require(ABIFixture.cifar)
    let s = try open(fx.plan)
    defer { modc_session_close(s) }
    let inputs = (0..<4).map { k in (0..<fx.input.count).map { Float(sin(Double($0 * (k + 1)) * 0.01)) } }
    let expected = inputs.map { run(session: s, $0).1 }
    #expect(expected[0] != expected[1])
    let session = SendableHandle(s)
    let results = Mutex4()
    DispatchQueue.concurrentPerform(iterations: 8) { k in
      let i = k % 4
      var ok = true
      for _ in 0..<10 {
        var c: Handle? = nil
        // Half the workers use their own context, half the session's pool.
        let useContext = k >= 4
        if useContext { ok = ok && modc_context_create(session.handle, 1, &c) == 0 }
        let (rc, y) = run(session: session.handle, context: c, inputs[i])
        ok = ok && rc == 0 && y == expected[i]
        modc_context_destroy(c)
      }
      results.set(k, ok)
    }
    #expect(results.all)
  }
}

/// The cifar fixture compiled once into a temp plan, with its reference input and output.
struct ABIFixture: Sendable {
  let plan: String
  let input: [Float]
  let output: [Float]

  static let cifar: ABIFixture? = {
    guard let onnx = Env.model("cifar_resnet20_op17") else { return nil }
    let modc = Env.debugDir.appendingPathComponent("modc").path
    guard FileManager.default.isExecutableFile(atPath: modc), let dir = try? TempDir() else { return nil }
    let plan = dir.path("cifar.modplan")
    guard let r = try? Env.run(modc, ["convert", onnx.path, "-o", plan, "--quiet"]), r.status == 0,
      let x = try? NPY.read(Env.sibling(onnx, ".input.npy")), let y = try? NPY.read(Env.sibling(onnx, ".output.npy"))
    else { return nil }
    return ABIFixture(plan: plan, input: x.floats, output: y.floats)
  }()
}

/// max|a − b| / max|b|.
func relDiff(_ a: [Float], _ b: [Float]) -> Double {
  guard a.count == b.count, !b.isEmpty else { return .infinity }
  let d = zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
  let m = b.map { abs(Double($0)) }.max() ?? 0
  return m > 0 ? d / m : d
}

/// A C handle passed to worker threads (the C API documents sessions as thread-safe).
struct SendableHandle: @unchecked Sendable {
  let handle: OpaquePointer
  init(_ h: OpaquePointer) { handle = h }
}

/// Per-worker success flags written from concurrent workers.
final class Mutex4: @unchecked Sendable {
  private let lock = NSLock()
  private var flags: [Int: Bool] = [:]
  func set(_ k: Int, _ v: Bool) { lock.withLock { flags[k] = v } }
  var all: Bool { lock.withLock { flags.count == 8 && flags.values.allSatisfy { $0 } } }
}

extension Thread {
  /// Runs `body` on a new thread and waits for its result.
  static func detachNewThreadWithResult(_ body: @escaping @Sendable () -> String) -> String {
    let box = Mutex4Box()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      box.value = body()
      done.signal()
    }
    done.wait()
    return box.value
  }
}

/// A string handed back from another thread (written before a semaphore signal, read after the wait).
final class Mutex4Box: @unchecked Sendable {
  var value = ""
}
