#!/usr/bin/env bash
# Builds the adapter image from this checkout's Dockerfile on the cached local Node 24 base
# (test/image/base.sh), the way CI does without a registry: buildah, chroot isolation, no pulls.
# Prints the image reference on stdout. Without the native TensorFlow backend (its install script
# downloads libtensorflow, which needs more than the npm registry): the image runs on wasm.
#   IMAGE=$(bash test/image/build.sh) && DEEPSCALER_IMAGE=$IMAGE npx mocha --no-config --exit dist/test/image/image.test.js
set -euo pipefail
cd "$(dirname "$0")/../.."
IMAGE="${IMAGE:-localhost/deepscaler-adapter:ci}"
base=$(bash test/image/base.sh)
printf '[image/build.sh %(%H:%M:%S)T] buildah bud FROM %s\n' -1 "$base" >&2
buildah bud --quiet --isolation chroot --pull=never --layers \
  --build-arg NODE_IMAGE="$base" --build-arg WITH_TFJS_NODE=false \
  --tag "$IMAGE" . >&2
echo "$IMAGE"
