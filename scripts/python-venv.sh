#!/usr/bin/env bash
# Creates .venv with the Python oracles and clients the tests use (onnxruntime, tritonclient, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
req=Tests/python/requirements.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ -x .venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then exit 0; fi
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -r "$req"
echo "$want" > "$stamp"
