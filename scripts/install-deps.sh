#!/usr/bin/env bash
# Installs every Debian 12 package reelq needs to build, test and run its demo.
# Idempotent: when everything is present it only asks dpkg, which takes well under a second.
set -euo pipefail

packages=(
  cmake g++ make pkg-config           # toolchain
  libpoco-dev libssl-dev              # HTTP client/server, TLS, JSON
  libyaml-cpp-dev                     # manifest parsing
  libsqlitecpp-dev libsqlite3-dev     # the queue
  libfmt-dev                          # formatting
  libcli11-dev                        # command line
  doctest-dev                         # unit tests
  python3 openssl                     # integration tests drive the binary from Python; TLS tests make a cert
  chromium fonts-dejavu-core          # the HTML report's test loads it in headless Chromium
  clang libclang-rt-14-dev            # `make fuzz`: libFuzzer is clang's (libclang_rt.fuzzer-x86_64.a is in -rt-dev)
  llvm                                # llvm-symbolizer: a fuzzer's crash report with file:line
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
