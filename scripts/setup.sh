#!/usr/bin/env bash
# Installs what building and testing Purse needs, skipping whatever is already there at the
# right version (so every run after the first takes a second):
#   - the wasm32-unknown-unknown Rust target
#   - Trunk 0.21 (0.22 needs a newer rustc)
#   - wasm-bindgen-cli at exactly the version of wasm-bindgen in Cargo.lock
#   - wasm-opt (npm's binaryen, into ~/.cache/purse-tools) for release builds of the web app
#   - axe-core (npm, into ~/.cache/purse-tools) for the browser tests' accessibility checks
#   - Chromium and ChromeDriver (Debian packages) for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf 'setup: %s\n' "$*"; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if trunk --version 2>/dev/null | grep -q '^trunk 0\.21\.'; then
  :
else
  say "installing Trunk 0.21 (about 10 minutes, once)"
  cargo install trunk --version '^0.21' --locked
fi

wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$wasm_bindgen_version" ]; then
  say "cannot find wasm-bindgen in Cargo.lock"; exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wasm_bindgen_version" ]; then
  say "installing wasm-bindgen-cli $wasm_bindgen_version (about 6 minutes, once)"
  # Not --locked: the registry here lacks some of its newest locked dependencies.
  cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --force
fi

# wasm-opt shrinks the release wasm (the embed has a 200 KB budget). Trunk cannot download it
# here, and Trunk.toml pins the version it accepts.
binaryen_version=132
tools="$HOME/.cache/purse-tools"
if ! "$tools/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version_$binaryen_version"; then
  if ! command -v npm >/dev/null 2>&1; then
    say "installing Node.js and npm"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
  fi
  say "installing wasm-opt (binaryen $binaryen_version, from npm)"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --silent "binaryen@$binaryen_version.0.0"
fi

# axe-core, the accessibility checker the browser journeys run on every page they visit.
axe_version=4.14.1
if [ "$(node -p "require('$tools/node_modules/axe-core/package.json').version" 2>/dev/null || true)" != "$axe_version" ]; then
  say "installing axe-core $axe_version (from npm)"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --silent "binaryen@$binaryen_version.0.0" "axe-core@$axe_version"
fi

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  say "installing Chromium and ChromeDriver"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    say "need root (or sudo) to install chromium and chromium-driver with apt-get"; exit 1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi
say "ready (trunk $(trunk --version | cut -d' ' -f2), wasm-bindgen $wasm_bindgen_version, wasm-opt $binaryen_version, $(chromium --version 2>/dev/null | head -n1))"
