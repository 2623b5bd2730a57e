import Foundation
import TestSupport
import Testing

@testable import Codegen

@Suite struct ChecksumTests {
  @Test func checkValues() {
    let s = Array("123456789".utf8)
    #expect(CRC32.checksum(s) == 0xCBF4_3926)
  }

  @Test func planChecksumDetectsEverySingleBitFlipAndTail() {
    let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    let base = PlanChecksum.checksum(data)
    for i in stride(from: 0, to: data.count, by: 37) {
      for bit in 0..<8 {
        var d = data
        d[i] ^= UInt8(1 << bit)
        #expect(PlanChecksum.checksum(d) != base)
      }
    }
    // Every length gives a different value (the tail bytes are mixed in).
    #expect(Set((0..<100).map { PlanChecksum.checksum(Array(data.prefix($0))) }).count == 100)
  }
}

@Suite struct NPZTests {
  @Test(.requires(pythonHasNumpy, "python3 with numpy")) func readsSavezAndSavezCompressed() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let ok = runPython(
      """
      import numpy as np
      rng = np.random.default_rng(0)
      a = rng.standard_normal((16, 9)).astype('<f4')
      b = np.arange(7, dtype='<i8')
      z = np.zeros((300, 40), dtype='<f4'); z[::3, 5] = 1.5
      np.savez('s.npz', a=a, b=b, z=z)
      np.savez_compressed('c.npz', a=a, b=b, z=z, empty=np.zeros((0, 3), dtype='<f4'))
      with open('c.bin', 'wb') as f:
          f.write(a.tobytes()); f.write(z.tobytes())
      """, in: dir.path)
    #expect(ok)
    let raw = try readBytes(dir.file("c.bin"))
    let aRef: [Float] = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self).prefix(16 * 9)) }
    let zRef: [Float] = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self).dropFirst(16 * 9)) }
    for name in ["s.npz", "c.npz"] {
      let npz = try NPZFile.read(dir.file(name))
      #expect(Array(npz.names.prefix(3)) == ["a", "b", "z"])
      #expect(try npz.array("a").shape == [16, 9])
      #expect(try npz.array("a").floats == aRef)
      #expect(try npz.array("b").int64s == [0, 1, 2, 3, 4, 5, 6])
      #expect(try npz.array("z").floats == zRef)
      #expect(throws: NPYError.self) { try npz.array("nope") }
    }
    #expect(try NPZFile.read(dir.file("c.npz")).array("empty").shape == [0, 3])
  }

  @Test(.requires(pythonHasNumpy, "python3 with numpy")) func inflateHandlesStoredFixedAndDynamicBlocks() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let ok = runPython(
      """
      import zlib, random
      random.seed(1)
      texts = [b'', b'a', b'abcabcabcabc' * 50, bytes(random.getrandbits(8) for _ in range(70000)),
               bytes(random.choice(b'ACGT') for _ in range(100000))]
      for i, t in enumerate(texts):
          for lvl in (0, 1, 9):
              c = zlib.compressobj(lvl, zlib.DEFLATED, -15)
              open(f'{i}_{lvl}.raw', 'wb').write(t)
              open(f'{i}_{lvl}.def', 'wb').write(c.compress(t) + c.flush())
      c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_FIXED)
      open('fixed.raw', 'wb').write(texts[2]); open('fixed.def', 'wb').write(c.compress(texts[2]) + c.flush())
      """, in: dir.path)
    #expect(ok)
    var names = ["fixed"]
    for i in 0..<5 { for lvl in [0, 1, 9] { names.append("\(i)_\(lvl)") } }
    for n in names {
      let expected = try readBytes(dir.file(n + ".raw"))
      let deflated = try readBytes(dir.file(n + ".def"))
      let out = try withBytes(deflated) { b throws(Inflate.Failure) in try Inflate.decompress(b) }
      #expect(out == expected, "\(n)")
      // Any truncation is an error, never a crash.
      if deflated.count > 2 {
        let cut = Array(deflated.prefix(deflated.count / 2))
        #expect(throws: Inflate.Failure.self) {
          _ = try withBytes(cut) { b throws(Inflate.Failure) in try Inflate.decompress(b, expectedSize: expected.count) }
        }
      }
    }
  }

  @Test(.requires(pythonHasNumpy, "python3 with numpy")) func corruptArchivesAreErrorsNamingTheFile() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    #expect(runPython("import numpy as np; np.savez_compressed('c.npz', w=np.arange(64, dtype='<f4'))", in: dir.path))
    let good = try readBytes(dir.file("c.npz"))
    // Every single-byte flip either still decodes to the same data (bytes the reader ignores) or is an NPYError.
    var errors = 0
    for i in 0..<good.count {
      var bad = good
      bad[i] ^= 0x5A
      do {
        let npz = try withBytes(bad) { b throws(NPYError) in try NPZFile.parse(b, file: "c.npz") }
        #expect(try npz.array("w").floats == (0..<64).map(Float.init), "flip at \(i)")
      } catch {
        errors += 1
        #expect(error.description.hasPrefix("c.npz"))
      }
    }
    #expect(errors > good.count / 2)
    for n in [0, 10, 21, good.count / 2, good.count - 1] {
      #expect(throws: NPYError.self) {
        _ = try withBytes(Array(good.prefix(n))) { b throws(NPYError) in try NPZFile.parse(b, file: "c.npz") }
      }
    }
  }

  @Test(.requires(fixturesDir != nil, "shared/fixtures")) func routerWeightsFixture() throws {
    let path = try #require(fixturesDir) + "/mod/cifar_resnet20_mod_c16.router.npz"
    let npz = try NPZFile.read(path)
    #expect(npz.names.count == 12)
    // C = 16, 32, 64 with hidden width max(1, C/16).
    for (block, c) in [("layer1.1", 16), ("layer2.1", 32), ("layer3.1", 64)] {
      let h = max(1, c / 16)
      #expect(try npz.array("\(block).fc1.weight").shape == [h, c])
      #expect(try npz.array("\(block).fc1.bias").shape == [h])
      #expect(try npz.array("\(block).fc2.weight").shape == [c, h])
      #expect(try npz.array("\(block).fc2.bias").shape == [c])
    }
    #expect(try npz.array("layer1.1.fc1.weight").floats.allSatisfy(\.isFinite))
    do {
      _ = try npz.array("layer9.fc1.weight")
      Issue.record("missing member must throw")
    } catch {
      #expect(error.description.contains("member 'layer9.fc1.weight'"))
      #expect(error.description.contains("router.npz"))
    }
  }
}
