#!/bin/sh
# Regenerates the protobuf-c bindings of proto/onnx.proto into Sources/CONNXProto.
# Needs protoc-c (Debian: protobuf-c-compiler). Run from anywhere; commit the generated files.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root/proto" && protoc-c --c_out="$tmp" onnx.proto)
mkdir -p "$root/Sources/CONNXProto/include"
# The header goes to include/ (SwiftPM's public headers); the source includes it by bare name.
cp "$tmp/onnx.pb-c.h" "$root/Sources/CONNXProto/include/onnx.pb-c.h"
cp "$tmp/onnx.pb-c.c" "$root/Sources/CONNXProto/onnx.pb-c.c"
echo "regenerated Sources/CONNXProto/onnx.pb-c.{c,h} from proto/onnx.proto"
