#!/usr/bin/env bash
# Builds (once) and caches the real control-plane binaries the e2e test needs:
#   kube-apiserver, kube-controller-manager  (built from Debian's `kubernetes` source, v1.20)
#   etcd, kubectl, prometheus, promtool      (unpacked from Debian binary packages)
# Recipe and pitfalls: docs/e2e.md. No binary package ships
# kube-apiserver and npm ships no Go toolchain, hence the source build with Debian's Go 1.19.
#
# Idempotent: when every binary is already in the cache this exits in milliseconds, so a warm
# CI run pays nothing. The build tree (~3 GB peak) is deleted afterwards; only bin/ is kept.
# Nothing is installed system-wide: `apt-get install` of etcd-server/prometheus would start
# system daemons (Prometheus on 0.0.0.0), so packages are only downloaded and `dpkg -x`-ed.
set -euo pipefail

CACHE_ROOT="${DEEPSCALER_CACHE:-$HOME/.cache/deepscaler}"
CACHE="$CACHE_ROOT/kube-v1.20"
BIN="$CACHE/bin"
WORK="$CACHE/work"
NEEDED=(kube-apiserver kube-controller-manager etcd kubectl prometheus promtool)

log() { printf '[build.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

all_cached() {
  local b
  for b in "${NEEDED[@]}"; do [[ -x "$BIN/$b" ]] || return 1; done
  return 0
}

if all_cached; then
  log "all binaries cached in $BIN; nothing to do"
  exit 0
fi

mkdir -p "$CACHE" "$BIN"
# Two concurrent runs (two engineers, or CI retry) must not build into the same tree.
exec 9>"$CACHE/.lock"
flock 9
if all_cached; then
  log "another run finished the build while we waited; nothing to do"
  exit 0
fi

mkdir -p "$WORK"
ROOT="$WORK/root"       # every binary package is unpacked here
SRC="$WORK/src"         # the kubernetes source tree
APTDIR="$WORK/apt"
mkdir -p "$ROOT" "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/sources.d" "$WORK/debs"

# --- private apt configuration -------------------------------------------------------------
# `apt-get source` needs a deb-src entry the machine does not have. Rather than edit the system's
# sources, derive a private one from the machine's own first stanza (so no archive host name is
# ever written into the repository) with `Types: deb deb-src` and `Suites: bookworm`.
SYS_SOURCES=/etc/apt/sources.list.d/debian.sources
if [[ ! -r "$SYS_SOURCES" ]]; then
  echo "build.sh: $SYS_SOURCES not found; this recipe needs a Debian bookworm machine with deb822 sources" >&2
  exit 1
fi
awk 'BEGIN{s=0} /^[[:space:]]*$/{ if (s) exit; next } { s=1
       if ($0 ~ /^Types:/)  { print "Types: deb deb-src"; next }
       if ($0 ~ /^Suites:/) { print "Suites: bookworm"; next }
       print }' "$SYS_SOURCES" >"$APTDIR/sources.d/private.sources"

cat >"$APTDIR/apt.conf" <<CONF
Dir::Etc::sourcelist "/dev/null";
Dir::Etc::sourceparts "$APTDIR/sources.d";
Dir::State::Lists "$APTDIR/lists";
Dir::Cache "$APTDIR/cache";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Sandbox::User "$(id -un)";
CONF
export APT_CONFIG="$APTDIR/apt.conf"

if [[ ! -e "$APTDIR/.updated" ]]; then
  log "apt-get update (private lists)"
  apt-get -q update >"$WORK/apt-update.log" 2>&1 || { cat "$WORK/apt-update.log" >&2; exit 1; }
  touch "$APTDIR/.updated"
fi

# --- 1. binary packages ------------------------------------------------------------------------
PKGS=(golang-1.19-go golang-1.19-src etcd-server prometheus golang-github-modern-go-reflect2-dev
      rsync libpopt0 kubernetes-client)
if [[ ! -e "$ROOT/.unpacked" ]]; then
  log "apt-get download ${PKGS[*]}"
  (cd "$WORK/debs" && apt-get -q download "${PKGS[@]}")
  for deb in "$WORK"/debs/*.deb; do
    dpkg -x "$deb" "$ROOT"
  done
  touch "$ROOT/.unpacked"
fi

# The runtime tools are ready right away; copy them first so a later build failure still leaves
# them usable.
install_bin() { # <source path> <name>
  [[ -x "$1" ]] || { echo "build.sh: expected binary $1 not found in unpacked packages" >&2; exit 1; }
  cp -f "$1" "$BIN/$2.tmp" && mv -f "$BIN/$2.tmp" "$BIN/$2"
}
install_bin "$ROOT/usr/bin/etcd" etcd
install_bin "$ROOT/usr/bin/kubectl" kubectl
install_bin "$ROOT/usr/bin/prometheus" prometheus
install_bin "$ROOT/usr/bin/promtool" promtool

if [[ -x "$BIN/kube-apiserver" && -x "$BIN/kube-controller-manager" ]]; then
  log "control-plane binaries already cached"
else
  # --- 2. kubernetes source ------------------------------------------------------------------
  if [[ ! -e "$SRC/.extracted" ]]; then
    log "apt-get source --download-only kubernetes"
    rm -rf "$SRC"
    mkdir -p "$WORK/srcpkg"
    (cd "$WORK/srcpkg" && apt-get -q source --download-only kubernetes)
    dsc=$(ls "$WORK"/srcpkg/kubernetes_*.dsc | head -n1)
    log "dpkg-source -x $(basename "$dsc")"
    dpkg-source --no-check -x "$dsc" "$SRC" >"$WORK/dpkg-source.log" 2>&1 \
      || { cat "$WORK/dpkg-source.log" >&2; exit 1; }
    touch "$SRC/.extracted"
  fi

  # --- 3. reflect2 fix -----------------------------------------------------------------------
  # v1.20 vendors modern-go/reflect2 1.0.1, which crashes at runtime under Go >= 1.18
  # (unsafe map iteration internals changed). Debian ships 1.0.2, which works.
  R2_NEW="$ROOT/usr/share/gocode/src/github.com/modern-go/reflect2"
  R2_OLD="$SRC/vendor/github.com/modern-go/reflect2"
  [[ -d "$R2_NEW" && -d "$R2_OLD" ]] || { echo "build.sh: reflect2 folders missing ($R2_NEW, $R2_OLD)" >&2; exit 1; }
  rm -f "$R2_OLD"/*.go "$R2_OLD"/*.s
  cp "$R2_NEW"/*.go "$R2_OLD"/
  if compgen -G "$R2_NEW/*.s" >/dev/null; then cp "$R2_NEW"/*.s "$R2_OLD"/; fi
  rm -f "$R2_OLD"/*_test.go

  # --- 4. rsync wrapper ----------------------------------------------------------------------
  # The kube build scripts call rsync; run the unpacked one with its unpacked libpopt instead of
  # installing anything.
  mkdir -p "$WORK/wrap"
  cat >"$WORK/wrap/rsync" <<WRAP
#!/bin/sh
LD_LIBRARY_PATH="$ROOT/usr/lib/x86_64-linux-gnu:$ROOT/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$ROOT/usr/bin/rsync" "\$@"
WRAP
  chmod +x "$WORK/wrap/rsync"

  # --- 5. build ------------------------------------------------------------------------------
  GOROOT_DIR="$ROOT/usr/lib/go-1.19"
  [[ -x "$GOROOT_DIR/bin/go" ]] || { echo "build.sh: Go toolchain not found at $GOROOT_DIR" >&2; exit 1; }
  log "make WHAT=\"cmd/kube-apiserver cmd/kube-controller-manager\" (10-15 min under load)"
  (
    cd "$SRC"
    export GOROOT="$GOROOT_DIR" GOPROXY=off GOFLAGS=-mod=vendor GOTOOLCHAIN=local CGO_ENABLED=0
    # Keep Go's caches inside the build tree so deleting it reclaims every byte.
    export GOCACHE="$WORK/gocache" GOPATH="$WORK/gopath"
    export PATH="$WORK/wrap:$GOROOT_DIR/bin:$PATH"
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager"
  ) >"$WORK/make.log" 2>&1 || { tail -n 60 "$WORK/make.log" >&2; echo "build.sh: make failed; full log in $WORK/make.log" >&2; exit 1; }

  OUT="$SRC/_output/local/bin/linux/amd64"
  [[ -d "$OUT" ]] || OUT=$(dirname "$(find "$SRC/_output" -type f -name kube-apiserver | head -n1)")
  install_bin "$OUT/kube-apiserver" kube-apiserver
  install_bin "$OUT/kube-controller-manager" kube-controller-manager
fi

"$BIN/kube-apiserver" --version >&2
all_cached || { echo "build.sh: some binaries are still missing from $BIN" >&2; exit 1; }

# --- 6. free the disk ----------------------------------------------------------------------------
log "removing build tree $WORK"
rm -rf "$WORK"
log "done; binaries in $BIN"
