#!/usr/bin/env bash
# `./dev fresh-check`: runs the README's two commands as a new user would, in a clean Debian 12 root.
#
# The root is made with mmdebstrap from the package source apt uses on this machine, with only what a
# fresh machine of this project's kind brings that ./dev does not install: CA certificates (with the
# machine's own), CPython with pip (and the machine's pyenv Pythons, mounted read-only), and the Rust
# toolchain with cargo-nextest (this machine's, mounted read-only; crates are fetched anew). The last commit goes in, as CI clones it (so commit first), with an
# empty target/. Then `./dev demo` and `./dev test` run inside it, each timed, and the install paths a user
# takes: `./dev install deb` (the Debian package installed with apt: `axvs --version`, the demo rig, its
# plugin found, then removed) and `./dev install` (cargo install). Logs and times land in $FRESH_DIR
# (default target/fresh-check/), and the root is removed afterwards unless --keep is given.
#
#   ./dev fresh-check [--keep] [--demo-only | --install-only]
set -euo pipefail
cd "$(dirname "$0")/.."

keep=false
demo_only=false
install_only=false
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    --demo-only) demo_only=true ;;
    --install-only) install_only=true ;;
    *) echo "fresh-check: unknown argument $arg (use --keep, --demo-only, --install-only)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "fresh-check: needs root (mmdebstrap, chroot and mounts)" >&2
  exit 2
fi
# Everything below runs in a mount namespace of its own, with private propagation: the bind mounts into
# the root never reach the host's mount table, and vanish with this process however it ends (a killed run
# cannot leave /dev or /sys mounted under target/ for a later `rm -rf` to walk into).
if [ -z "${AXVS_FRESH_NAMESPACE:-}" ]; then
  exec unshare --mount --propagation private env AXVS_FRESH_NAMESPACE=1 "$0" "$@"
fi
if ! command -v mmdebstrap >/dev/null; then
  echo "fresh-check: installing mmdebstrap" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >&2
fi

rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
if ! command -v cargo >/dev/null || [ ! -d "$rustup_home" ]; then
  echo "fresh-check: needs this machine's rustup toolchain (cargo on PATH, $rustup_home)" >&2
  exit 2
fi
cargo_bin=$(dirname "$(command -v cargo)")
out=${FRESH_DIR:-$PWD/target/fresh-check}
root=$out/root
mkdir -p "$out"
if [ -e "$root" ]; then
  echo "fresh-check: $root exists (a previous --keep run?): remove it first" >&2
  exit 2
fi

mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" || true; done
  # And what the tests mounted inside the root (`ip netns add` binds /run/netns onto itself, and each
  # namespace into it), deepest first: all of it in this process's own mount namespace.
  local m
  for m in $(awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" || true
  done
  if ! $keep && [ -d "$root" ]; then
    if grep -q " $root/" /proc/self/mounts; then
      echo "fresh-check: something is still mounted under $root: not removing it" >&2
    else
      rm -rf --one-file-system "$root"
    fi
  fi
}
trap cleanup EXIT
bind() { # bind SOURCE TARGET [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounts+=("$2")
  if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
}

# The same mirror and suites as this machine's apt (a deb822 sources file or a one-line list).
mirror=$( (grep -shoE '^(URIs:|deb) +http[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
  || true) | head -n 1 | awk '{print $2}')
mirror=${mirror:-http://deb.debian.org/debian}

start=$(date +%s)
echo "fresh-check: making a Debian 12 root from $mirror in $root" >&2
mmdebstrap --variant=minbase --include=ca-certificates,python3,python3-pip --aptopt='APT::Install-Recommends "false"' \
  bookworm "$root" "$mirror" >"$out/mmdebstrap.log" 2>&1 \
  || { echo "fresh-check: mmdebstrap failed; see $out/mmdebstrap.log" >&2; exit 1; }
echo "fresh-check: root made in $(($(date +%s) - start)) s" >&2

bind /proc "$root/proc"
bind /sys "$root/sys"
bind /dev "$root/dev"
bind /dev/pts "$root/dev/pts"
mount -t tmpfs tmpfs "$root/dev/shm"
mounts+=("$root/dev/shm")
bind "$rustup_home" "$root/opt/rustup" ro
bind "$cargo_bin" "$root/opt/cargo-bin" ro
# cargo-nextest, which machines of this project's kind bring beside the toolchain (`./dev test` runs the
# tests with it where it is, and with `cargo test` where it is not).
mkdir -p "$root/opt/nextest"
if nextest=$(command -v cargo-nextest); then
  touch "$root/opt/nextest/cargo-nextest"
  mount --bind "$nextest" "$root/opt/nextest/cargo-nextest"
  mounts+=("$root/opt/nextest/cargo-nextest")
fi
# The CPython builds machines of this kind keep under pyenv (3.12 and later among them: the original package
# needs 3.12, which Debian 12 lacks), read-only where `./dev` looks for them. Without them `./dev` fetches a
# standalone CPython with uv from github.com, which not every network here reaches.
if [ -d "$HOME/.pyenv/versions" ]; then
  bind "$HOME/.pyenv" "$root/root/.pyenv" ro
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The machine's own certificate authorities (a network that inspects TLS has its own), as on any machine
# of this kind; they belong to the machine, not to the project.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
fi
# Its pip settings too (where such a network points pip at the system's certificates: Debian's pip reads
# them anyway, a pyenv CPython's pip only when told).
if [ -f /etc/pip.conf ]; then
  cp /etc/pip.conf "$root/etc/pip.conf"
fi

mkdir -p "$root/work/axvs"
git archive HEAD | tar -xf - -C "$root/work/axvs"

inside() { # inside LOG COMMAND...: runs COMMAND in the root as a login with only the image's tools
  local log=$1
  shift
  local t0=$(date +%s) status=0
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/opt/cargo-bin:/opt/nextest:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    RUSTUP_HOME=/opt/rustup CARGO_HOME=/root/.cargo RUSTUP_TOOLCHAIN="$(rustup show active-toolchain | cut -d' ' -f1)" \
    bash -c 'cd /work/axvs && "$@"' inside "$@" >"$out/$log" 2>&1 || status=$?
  echo "$(($(date +%s) - t0))" >"$out/$log.seconds"
  return $status
}

# The install paths, as a user takes them (each builds the release profile).
install_checks() {
  echo "fresh-check: ./dev install deb, then the installed axvs (log: $out/install-deb.log)" >&2
  # shellcheck disable=SC2016
  if inside install-deb.log bash -euxc '
      ./dev install deb
      test "$(command -v axvs)" = /usr/bin/axvs
      axvs --version
      cd "$(mktemp -d)" && axvs run --duration 2 --status-interval 0 --report report.json
      grep -q "\"saved\"" report.json
      axvs plugins | grep "plugin gentl"
      axvs check | grep "^ok  OpenCV .*from /usr/lib/axvs/plugins/libaxvs_plugin_opencv.so"
      apt-get remove -y axvs
      hash -r
      ! command -v axvs'; then
    echo "fresh-check: the Debian package installed, recorded the demo rig and was removed ($(cat "$out/install-deb.log.seconds") s)" >&2
  else
    echo "fresh-check: the Debian package FAILED after $(cat "$out/install-deb.log.seconds") s; last lines:" >&2
    tail -n 30 "$out/install-deb.log" >&2
    exit 1
  fi
  echo "fresh-check: ./dev install (cargo install; log: $out/install-cargo.log)" >&2
  if inside install-cargo.log bash -euxc '
      ./dev install
      ~/.cargo/bin/axvs --version
      cd "$(mktemp -d)" && ~/.cargo/bin/axvs run --duration 2 --status-interval 0
      ~/.cargo/bin/axvs plugins | grep "plugin gentl"
      ~/.cargo/bin/axvs check | grep "^ok  OpenCV .*/axvs/plugins/libaxvs_plugin_opencv.so"'; then
    echo "fresh-check: cargo install worked ($(cat "$out/install-cargo.log.seconds") s)" >&2
  else
    echo "fresh-check: cargo install FAILED after $(cat "$out/install-cargo.log.seconds") s; last lines:" >&2
    tail -n 30 "$out/install-cargo.log" >&2
    exit 1
  fi
}
if $install_only; then
  install_checks
  exit 0
fi

echo "fresh-check: ./dev demo (log: $out/demo.log)" >&2
if inside demo.log ./dev demo; then
  echo "fresh-check: ./dev demo passed in $(cat "$out/demo.log.seconds") s (packages, the test build of axvs, 10 s run)" >&2
  grep -E '^dev: +[0-9]+ s ' "$out/demo.log" >&2 || true
else
  echo "fresh-check: ./dev demo FAILED after $(cat "$out/demo.log.seconds") s; last lines:" >&2
  tail -n 20 "$out/demo.log" >&2
  exit 1
fi
$demo_only && exit 0

echo "fresh-check: ./dev test (log: $out/test.log)" >&2
if inside test.log ./dev test; then
  echo "fresh-check: ./dev test passed in $(cat "$out/test.log.seconds") s (from an empty target/)" >&2
  # cargo test's lines (doctests, or every binary without nextest) and nextest's summary.
  { grep -E '^test result:' "$out/test.log" | awk '{print $4, $6}'
    grep -E '^ *Summary \[' "$out/test.log" | sed -E 's/.* ([0-9]+) passed.*/\1 0/'
    # (no "failed" in a clean summary: under pipefail that grep's status would end this script)
    grep -E '^ *Summary \[' "$out/test.log" | { grep -oE '[0-9]+ failed' || true; } | awk '{print 0, $1}'
  } | awk '{p+=$1; f+=$2} END {print "fresh-check: " p " passed, " f " failed"}' >&2
  grep -E '^dev: +[0-9]+ s ' "$out/test.log" >&2 || true
else
  echo "fresh-check: ./dev test FAILED after $(cat "$out/test.log.seconds") s; last lines:" >&2
  tail -n 40 "$out/test.log" >&2
  exit 1
fi
install_checks
