#!/usr/bin/env bash
# Builds the AzsUsage module into out/AzsUsage/:
#   AzsUsage.psd1, AzsUsage.dll, AzsUsage.Format.ps1xml, en-US/AzsUsage.dll-Help.xml,
#   runtimes/<rid>/native/<native lib>, and the azs-usage executable (for Start-AzsUsageEmulator).
# The version comes from one place, [workspace.package] version in Cargo.toml: it is written into the
# manifest's ModuleVersion and the assembly's Version here (the Rust crates read it through cargo).
# Usage: module/build.sh [--debug]     (release by default)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
version="$(awk -F'"' '/^\[workspace\.package\]/ { s = 1; next } /^\[/ { s = 0 } s && /^version *=/ { print $2; exit }' "$root/Cargo.toml")"
[[ -n "$version" ]] || { echo "no [workspace.package] version in $root/Cargo.toml" >&2; exit 1; }
profile=release
cargo_flags=(--release)
dotnet_config=Release
if [[ "${1:-}" == "--debug" ]]; then profile=debug; dotnet_config=Debug; fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

cd "$root"
# Debug builds (the test run) build the same targets as `cargo test --workspace`, so the features resolve the
# same and the test run's artifacts are reused instead of compiling every dependency a second time.
if [[ $profile == debug ]]; then cargo_flags=(--workspace --lib --bins --tests); else cargo_flags+=(-p azs-usage-ffi -p azs-usage-cli); fi
cargo build "${cargo_flags[@]}"
dotnet build "$root/module/AzsUsage.csproj" -c "$dotnet_config" -nologo -v quiet -o "$root/module/bin/$dotnet_config" \
  -p:Version="$version"

case "$(uname -s)" in
  Linux) os=linux; lib=libazs_usage_native.so; exe=azs-usage ;;
  Darwin) os=osx; lib=libazs_usage_native.dylib; exe=azs-usage ;;
  MINGW*|MSYS*|CYGWIN*) os=win; lib=azs_usage_native.dll; exe=azs-usage.exe ;;
  *) echo "unsupported OS $(uname -s)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64|amd64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) arch="$(uname -m)" ;;
esac
rid="$os-$arch"

out="$root/out/AzsUsage"
rm -rf "$out"
mkdir -p "$out/en-US" "$out/runtimes/$rid/native"
sed -E "s/^( *ModuleVersion *= *)'[^']*'/\1'$version'/" "$root/module/AzsUsage.psd1" > "$out/AzsUsage.psd1"
cp "$root/module/AzsUsage.Format.ps1xml" "$out/"
cp "$root/module/bin/$dotnet_config/AzsUsage.dll" "$out/"
cp "$root/module/en-US/AzsUsage.dll-Help.xml" "$out/en-US/"
cp "$target/$profile/$lib" "$out/runtimes/$rid/native/"
cp "$target/$profile/$exe" "$out/"
echo "$out"
