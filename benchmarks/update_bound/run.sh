#!/bin/sh
# Builds and runs update_bound.c: cycles per y[row] += w update on this core, by how it is written.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"${CC:-cc}" -O2 -o "$out/update_bound" "$here/update_bound.c"
"$out/update_bound"
if grep -q avx512vl /proc/cpuinfo 2>/dev/null; then
    "${CC:-cc}" -O2 -march=native -o "$out/lookup_model" "$here/lookup_model.c"
    "$out/lookup_model"
else
    echo "lookup model skipped: no AVX-512 on this CPU"
fi
