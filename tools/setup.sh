#!/usr/bin/env bash
# Install what reactor needs on a fresh Debian/Ubuntu machine, idempotently.
#   bash tools/setup.sh          system libraries for headless GL + the package in .venv
#   bash tools/setup.sh --test   also what the test suite and benchmarks use
# Safe to run again: packages already present are not reinstalled.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

# Headless OpenGL through EGL (Mesa llvmpipe when there is no GPU), and venv support.
pkgs=(libegl1 libgl1 libgl1-mesa-dri libegl-mesa0 python3-venv)
# fluidsynth renders the analysis dev set's MIDI grooves; the GM soundfont is its instrument bank.
# PortAudio and a JACK server (dummy driver) give the live tests a real sound device without a
# sound card. Not libasound2-plugins: its ALSA "jack" device would become the default.
[ "$want_test" = 1 ] && pkgs+=(fluidsynth fluid-soundfont-gm libportaudio2 jackd2)
# The Link test runs its peers in a private network namespace (unshare, ip) so discovery stays on its loopback.
[ "$want_test" = 1 ] && pkgs+=(iproute2 util-linux)
# The live window tests: a virtual X server, key injection and screenshots.
[ "$want_test" = 1 ] && pkgs+=(xvfb xdotool imagemagick)
# real media for the photo-clip tests: Freedoom's MIDI soundtrack (music) and espeak-ng (speech)
[ "$want_test" = 1 ] && pkgs+=(freedoom espeak-ng)

missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    # noninteractive (set by env after sudo, which would drop it): jackd2 asks debconf about real-time
    # scheduling; the default (no) is right
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "warning: no apt-get; make sure these are installed: ${missing[*]}" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extras=""
[ "$want_test" = 1 ] && extras="[test,live,link]"
# Reinstall only when pyproject.toml changed since the last successful install.
stamp=".venv/.reactor-installed$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extras"
  touch "$stamp"
fi
