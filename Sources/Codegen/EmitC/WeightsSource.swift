/// Writes the weights side of an emitted project: `NAME_weights.c` with the blob as 32-bit bit patterns (embed mode),
/// or the `NAME.weights` file plus a `NAME_weights.c` that loads and verifies it (file mode).
///
/// Both modes use the plan's weights blob unchanged (pre-packed conv/FC weights, each tensor 64-byte aligned), so
/// `NAME.c` addresses weights by the same byte offsets as the plan runtime.
struct WeightsEmitter {
  let blob: WeightsBlob
  let options: EmitCOptions

  /// Size of the `NAME.weights` header: magic, version, blob size, checksum, zero padding to 64 bytes.
  static let fileHeaderSize = 64
  static let fileMagic = Array("MODCWTS1".utf8)

  var checksum: UInt64 { PlanChecksum.checksum(blob.bytes) }

  /// The `NAME.weights` file (file mode): the 64-byte header, then the blob.
  func weightsFile(checksum: UInt64) -> [[UInt8]] {
    var out = Self.fileMagic
    func u64(_ v: UInt64) { for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    u64(1)
    u64(UInt64(blob.bytes.count))
    u64(checksum)
    out += [UInt8](repeating: 0, count: Self.fileHeaderSize - out.count)
    return [out, blob.bytes]
  }

  /// `NAME_weights.c`.
  func source() -> [UInt8] {
    options.weights == .embed ? embeddedSource() : Array(loaderSource().utf8)
  }

  // MARK: Embedded

  func embeddedSource() -> [UInt8] {
    let p = options.name
    var head = CWriter()
    head.comment(provenanceText(options, file: "\(p)_weights.c", what: "the weights blob as 32-bit bit patterns"))
    head.line("#include <stdint.h>")
    head.line()
    head.line("#include \"\(p).h\"")
    head.line()
    let words = max(1, (blob.bytes.count + 3) / 4)
    head.comment("""
      \(blob.entries.count) tensors, \(blob.bytes.count) bytes, little-endian words; each tensor starts on a 64-byte
      boundary (its byte offset is in the comment before it, and NAME.c addresses it by that offset).
      """)
    head.line("_Alignas(64) static const uint32_t blob[\(words)] = {")
    var out = Array(head.text.utf8)
    out.reserveCapacity(out.count + words * 12 + blob.entries.count * 80)
    appendWords(&out)
    out += Array("};\n\n".utf8)
    var tail = CWriter()
    tail.block("const void *\(p)_weights(void)") { w in w.line("return blob;") }
    return out + Array(tail.text.utf8)
  }

  /// The blob's words, eight per line, with a comment at each tensor's first word.
  func appendWords(_ out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    let bytes = blob.bytes
    let count = bytes.count
    let starts = Dictionary(blob.entries.map { ($0.offset / 4, $0) }, uniquingKeysWith: { a, _ in a })
    let words = max(1, (count + 3) / 4)
    var column = 0
    for i in 0..<words {
      if let e = starts[i] {
        if column != 0 { out.append(10) }
        let dims = e.shape.map(String.init).joined(separator: ",")
        out += Array("  /* @\(e.offset): \(cCommentSafe(e.name)) \(e.dtype.rawValue)[\(dims)] */\n".utf8)
        column = 0
      }
      var v: UInt32 = 0
      for k in 0..<4 where 4 * i + k < count { v |= UInt32(bytes[4 * i + k]) << (8 * UInt32(k)) }
      out += column == 0 ? [32, 32] : [32]
      out += [48, 120]  // "0x"
      var shift: UInt32 = 28
      for _ in 0..<8 {
        out.append(hex[Int((v >> shift) & 0xF)])
        shift &-= 4
      }
      out.append(44)  // ","
      column += 1
      if column == 8 {
        out.append(10)
        column = 0
      }
    }
    if column != 0 { out.append(10) }
  }

  // MARK: File

  func loaderSource() -> String {
    let p = options.name
    let u = p.uppercased()
    var w = CWriter()
    w.comment(provenanceText(options, file: "\(p)_weights.c", what: "loader of the \(p).weights file"))
    w.line("#include <stdint.h>")
    w.line("#include <stdio.h>")
    w.line("#include <stdlib.h>")
    w.line("#include <string.h>")
    w.line()
    w.line("#include \"\(p).h\"")
    w.line("#include \"modc_kernels.h\"")
    w.line()
    w.comment("""
      \(p).weights: 64-byte header (magic "MODCWTS1", then little-endian u64 version = 1, blob size, modc_hash64 of
      the blob, zero padding), then the blob itself (\(blob.entries.count) tensors, each 64-byte aligned).
      """)
    w.block("static uint64_t read_u64(const unsigned char *p)") { w in
      w.line("uint64_t v = 0;")
      w.line("for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];")
      w.line("return v;")
    }
    w.line()
    w.block("int \(p)_load_weights(const char *path, void **out)") { w in
      w.line("unsigned char header[\(Self.fileHeaderSize)];")
      w.line("size_t alloc = (\(u)_WEIGHTS_SIZE + 63) / 64 * 64;")
      w.line("unsigned char *blob;")
      w.line("FILE *f;")
      w.line("int extra;")
      w.line("if (!path || !out) return \(u)_EINVAL;")
      w.line("*out = NULL;")
      w.line("f = fopen(path, \"rb\");")
      w.line("if (!f) return \(u)_EIO;")
      w.block("if (fread(header, 1, sizeof header, f) != sizeof header || memcmp(header, \"MODCWTS1\", 8) != 0 || "
        + "read_u64(header + 8) != 1 || read_u64(header + 16) != (uint64_t)\(u)_WEIGHTS_SIZE)") { w in
        w.line("fclose(f);")
        w.line("return \(u)_EFORMAT;")
      }
      w.line("blob = (unsigned char *)modc_weights_alloc(alloc); /* huge pages where available */")
      w.block("if (!blob)") { w in
        w.line("fclose(f);")
        w.line("return \(u)_ENOMEM;")
      }
      w.line("memset(blob + \(u)_WEIGHTS_SIZE, 0, alloc - \(u)_WEIGHTS_SIZE);")
      w.line("extra = (fread(blob, 1, \(u)_WEIGHTS_SIZE, f) != \(u)_WEIGHTS_SIZE) || fgetc(f) != EOF;")
      w.line("fclose(f);")
      w.block("if (extra)") { w in
        w.line("modc_weights_free(blob);")
        w.line("return \(u)_EFORMAT;")
      }
      w.block("if (modc_hash64(blob, \(u)_WEIGHTS_SIZE, \(u)_WEIGHTS_HASH_SEED) != read_u64(header + 24) || read_u64(header + 24) != \(u)_WEIGHTS_CHECKSUM)") {
        w in
        w.line("modc_weights_free(blob);")
        w.line("return \(u)_ECHECKSUM;")
      }
      w.line("*out = blob;")
      w.line("return \(u)_OK;")
    }
    w.line()
    w.block("void \(p)_free_weights(void *weights)") { w in w.line("modc_weights_free(weights);") }
    return w.text
  }
}
