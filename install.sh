#!/bin/sh
# Installs the manage binary for this computer from the project's releases.
#
#   curl -fsSL <releases>/latest/download/install.sh | sh                   # into ~/.local/bin
#   curl -fsSL <releases>/latest/download/install.sh | sh -s -- /usr/local/bin
#   sh install.sh [--version 0.1.0] [FOLDER]
#
# It picks the archive for the system and CPU (Linux and macOS, x86_64 and arm64), downloads it
# with SHA256SUMS from MANAGE_DOWNLOAD_URL (the base URL of the releases: <url>/latest/download/
# for the newest, <url>/download/v<version>/ for one), checks its SHA-256, and installs manage
# into FOLDER. A failed download, a checksum that does not match or an unsupported platform stop
# it with one line and exit code 1, and nothing is installed.
set -eu

# The copy a release publishes has its releases' URL written here.
releases_url=""

fail() {
  echo "install.sh: $*" >&2
  exit 1
}

version=""
folder=""
while [ $# -gt 0 ]; do
  case "$1" in
    --version)
      [ $# -ge 2 ] || fail "--version needs a version, such as --version 0.1.0"
      version="${2#v}"
      shift 2
      ;;
    --version=*)
      version="${1#--version=}"
      version="${version#v}"
      shift
      ;;
    -h | --help)
      echo "usage: install.sh [--version VERSION] [FOLDER]   (FOLDER: ~/.local/bin by default)"
      exit 0
      ;;
    -*) fail "unknown option $1: use [--version VERSION] [FOLDER]" ;;
    *)
      [ -z "$folder" ] || fail "give one folder, not $folder and $1"
      folder="$1"
      shift
      ;;
  esac
done

base="${MANAGE_DOWNLOAD_URL:-$releases_url}"
[ -n "$base" ] || fail "set MANAGE_DOWNLOAD_URL to the releases' base URL (such as https://github.com/OWNER/REPO/releases)"
base="${base%/}"
if [ -z "$folder" ]; then
  [ -n "${HOME:-}" ] || fail "HOME is not set: give the folder to install into"
  folder="$HOME/.local/bin"
fi

system="$(uname -s)"
machine="$(uname -m)"
case "$system" in
  Linux) os="unknown-linux-gnu" ;;
  Darwin) os="apple-darwin" ;;
  *) os="" ;;
esac
case "$machine" in
  x86_64 | amd64) cpu="x86_64" ;;
  aarch64 | arm64) cpu="aarch64" ;;
  *) cpu="" ;;
esac
if [ -z "$os" ] || [ -z "$cpu" ]; then
  fail "unsupported platform $system $machine: manage is built for Linux and macOS (x86_64, arm64); on Windows, download the .zip"
fi
target="$cpu-$os"

if [ -n "$version" ]; then
  from="$base/download/v$version"
else
  from="$base/latest/download"
fi

download() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl -fsL --retry 2 -o "$2" "$1" 2>/dev/null
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1" 2>/dev/null
  else
    fail "neither curl nor wget is installed to download $1"
  fi
}

sha256() { # FILE
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    fail "neither sha256sum nor shasum is installed to check the download"
  fi
}

work="$(mktemp -d "${TMPDIR:-/tmp}/manage-install.XXXXXX")" || fail "cannot make a temporary folder"
staged=""
cleanup() {
  rm -rf "$work"
  if [ -n "$staged" ]; then rm -f "$staged"; fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

download "$from/SHA256SUMS" "$work/SHA256SUMS" || fail "could not download $from/SHA256SUMS"
line="$(grep -E "^[0-9a-fA-F]{64} [ *]manage-[^ ]+-$target\\.tar\\.gz\$" "$work/SHA256SUMS" | head -n 1 || true)"
[ -n "$line" ] || fail "no manage archive for $target in $from/SHA256SUMS"
expected="$(echo "$line" | cut -d ' ' -f 1 | tr 'A-F' 'a-f')"
archive="$(echo "$line" | sed -E 's/^[0-9a-fA-F]{64} [ *]//')"
found_version="${archive#manage-}"
found_version="${found_version%-"$target".tar.gz}"

download "$from/$archive" "$work/$archive" || fail "could not download $from/$archive"
actual="$(sha256 "$work/$archive")"
[ "$actual" = "$expected" ] ||
  fail "the checksum of $archive does not match SHA256SUMS (expected $expected, got $actual): nothing was installed"

mkdir "$work/unpacked"
tar -xzf "$work/$archive" -C "$work/unpacked" 2>/dev/null || fail "$archive could not be unpacked: nothing was installed"
[ -f "$work/unpacked/manage" ] || fail "$archive holds no manage executable: nothing was installed"

mkdir -p "$folder" 2>/dev/null || fail "cannot make the folder $folder"
# Copied beside its place, then renamed over it: the old manage stays whole until the new one is.
staged="$folder/.manage.install.$$"
cp "$work/unpacked/manage" "$staged" 2>/dev/null || fail "cannot write to $folder"
chmod 755 "$staged"
mv -f "$staged" "$folder/manage" || fail "cannot write $folder/manage"
staged=""

echo "Installed manage $found_version ($target) in $folder/manage, checksum verified"
case ":${PATH:-}:" in
  *":$folder:"*) ;;
  *) echo "$folder is not on your PATH: add it, or run $folder/manage" ;;
esac
