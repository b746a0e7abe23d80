#!/usr/bin/env bash
# Installs what building and testing Spoke needs on Debian 12 / Ubuntu: a C toolchain and the
# X11/OpenGL headers Fyne's GLFW driver compiles against, gnome-keyring and dbus for a real
# Secret Service in tests, and make. Go itself (1.26) must already be installed.
# Also Xvfb, x11-utils (xwininfo) and Mesa's software GL for the GUI smoke test, which starts
# the real binary on a virtual display.
# Runs apt only for what is missing, so a second run takes a second.
set -euo pipefail

pkgs=(gcc libc6-dev pkg-config make git ca-certificates
      libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
      gnome-keyring dbus
      xvfb x11-utils libgl1-mesa-dri)
# poppler-utils (pdftotext, pdftoppm, pdfinfo): the printed documents' tests read their PDFs back
# and make screenshots turns them into PNG.
pkgs+=(poppler-utils)
# PostgreSQL server: scripts/with-postgres.sh runs the hub's PostgreSQL tests on a throw-away cluster.
pkgs+=(postgresql)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v go >/dev/null 2>&1; then
  [ -x /usr/local/go/bin/go ] && echo "setup: add /usr/local/go/bin to PATH" >&2
  echo "setup: Go 1.26 is required (https://go.dev/dl/); Debian's golang-go is too old" >&2
  exit 1
fi
