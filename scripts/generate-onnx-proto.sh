#!/usr/bin/env bash
# Regenerates Sources/SparrowModel/ONNX/onnx-ml.pb.swift from proto/onnx-ml.proto.
# Needs protoc (Debian: protobuf-compiler). Uses protoc-gen-swift from PATH, or builds it from the
# swift-protobuf checkout SwiftPM keeps under .build/checkouts (so its version matches the runtime).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null; then
    echo "protoc not found: install protobuf-compiler (apt-get install protobuf-compiler)" >&2
    exit 1
fi

plugin="$(command -v protoc-gen-swift || true)"
if [ -z "$plugin" ]; then
    checkout=.build/checkouts/swift-protobuf
    if [ ! -d "$checkout" ]; then
        swift package resolve
    fi
    swift build -c release --package-path "$checkout" --product protoc-gen-swift
    plugin="$checkout/.build/release/protoc-gen-swift"
fi

out=Sources/SparrowModel/ONNX
mkdir -p "$out"
protoc --plugin=protoc-gen-swift="$plugin" \
    --proto_path=proto \
    --swift_out="$out" \
    --swift_opt=Visibility=Public \
    proto/onnx-ml.proto
echo "generated $out/onnx-ml.pb.swift"
