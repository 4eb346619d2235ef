#!/usr/bin/env bash
# Build FluxDesk for Linux from a clean clone: a one-folder PyInstaller bundle in dist/fluxdesk/,
# the tarball dist/fluxdesk-<version>-linux-<arch>.tar.gz (the bundle, the desktop entry, AppStream
# metadata, icons, install.sh and uninstall.sh), then checks it: the bundle's own --smoke-test, no
# unresolved libraries, the desktop files validated, and install.sh/uninstall.sh run for real in a
# throwaway home.
#
#   bash packaging/build-linux.sh            # PYTHON=python3.12 to build with another Python
#
# Needs Python >= 3.11 with venv, and, to validate and for a bundle that runs on X11 everywhere,
# some Debian packages (listed in DEBS below; installed with apt-get when run as root).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
PYTHON="${PYTHON:-python3}"
venv="build/pkg-venv"
PYINSTALLER="pyinstaller==6.22.3"
HOOKS="pyinstaller-hooks-contrib==2026.9"
app_id="io.github.fluxdesk.FluxDesk"
# Qt's xcb platform plugin links these; PyInstaller bundles the ones the build host has, so a host
# without them makes a bundle that needs them on every user's machine. Plus the validators.
DEBS=(libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
      libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1
      libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0 libwayland-client0 libwayland-cursor0
      libwayland-egl1 desktop-file-utils appstream binutils)

t0=$(date +%s)
step() { printf '\n== %s (%ds)\n' "$*" "$(( $(date +%s) - t0 ))"; }
die() { echo "build-linux.sh: FAILED: $*" >&2; exit 1; }

step "system packages"
missing=()
if command -v dpkg >/dev/null; then
    for p in "${DEBS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "WARNING: missing Debian packages: ${missing[*]}" >&2
        echo "         (sudo apt-get install ${missing[*]}) — the build goes on; what it needs will fail loudly" >&2
    fi
else
    echo "all there"
fi

step "build venv ($venv)"
[ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$PYINSTALLER" "$HOOKS" .
# The venv may be a previous build's: install this checkout's FluxDesk over whatever is there.
"$venv/bin/python" -m pip install --quiet --no-deps --force-reinstall .
version="$("$venv/bin/python" -c 'from importlib.metadata import version; print(version("fluxdesk"))')"
arch="$(uname -m)"
name="fluxdesk-$version-linux-$arch"
echo "FluxDesk $version, $("$venv/bin/python" -c 'import PySide6, PyInstaller; print("PySide6", PySide6.__version__, "PyInstaller", PyInstaller.__version__)')"

step "pyinstaller"
t_pyi=$(date +%s)
rm -rf dist/fluxdesk
"$venv/bin/pyinstaller" packaging/pyinstaller/fluxdesk.spec --distpath dist --workpath build/pyinstaller \
    --noconfirm --log-level WARN
echo "pyinstaller took $(( $(date +%s) - t_pyi ))s"
[ -x dist/fluxdesk/fluxdesk ] || die "dist/fluxdesk/fluxdesk was not built"
[ -f dist/fluxdesk/_internal/resources/prices.json ] || die "the bundle has no resources/prices.json"

step "libraries the bundle cannot resolve"
unresolved="$(cd dist/fluxdesk/_internal && find . -type f -name '*.so*' -print0 \
    | xargs -0 -n 20 env LD_LIBRARY_PATH="$PWD" ldd 2>/dev/null | grep 'not found' | sort -u || true)"
if [ -n "$unresolved" ]; then
    echo "$unresolved"
    die "some bundled libraries need libraries that neither the bundle nor this host has (see DEBS)"
fi
echo "none"

step "smoke test of the bundle"
QT_QPA_PLATFORM=offscreen dist/fluxdesk/fluxdesk --smoke-test || die "the bundle's --smoke-test failed"
[ "$(dist/fluxdesk/fluxdesk --version)" = "fluxdesk $version" ] || die "fluxdesk --version is not $version"
# Every tab and dialog, light and dark: what the smoke test does not open (charts, the gallery).
shots="$(mktemp -d)"
QT_QPA_PLATFORM=offscreen dist/fluxdesk/fluxdesk --demo --screenshots "$shots" >/dev/null \
    || die "the bundle's --screenshots failed"
echo "--screenshots: $(find "$shots" -name '*.png' | wc -l) PNGs"
rm -rf "$shots"

step "desktop files"
bash packaging/linux/validate.sh

step "tarball"
stage="build/tarball/$name"
rm -rf "build/tarball"
mkdir -p "$stage/share/applications" "$stage/share/metainfo" "$stage/share/icons"
cp -a dist/fluxdesk "$stage/fluxdesk"
cp packaging/linux/$app_id.desktop "$stage/share/applications/"
cp packaging/linux/$app_id.metainfo.xml "$stage/share/metainfo/"
cp -r packaging/linux/icons/hicolor "$stage/share/icons/"
install -m 755 packaging/linux/install.sh packaging/linux/uninstall.sh "$stage/"
cp LICENSE "$stage/" 2>/dev/null || true
tarball="dist/$name.tar.gz"
tar -C build/tarball --sort=name --owner=0 --group=0 --numeric-owner -czf "$tarball" "$name"

step "the tarball, unpacked where a designer would (a folder with a space), install.sh and uninstall.sh"
try="$(mktemp -d)"
trap 'rm -rf "$try"' EXIT
mkdir -p "$try/My Apps" "$try/home"
tar -C "$try/My Apps" -xzf "$tarball"
unpacked="$try/My Apps/$name"
[ "$("$unpacked/fluxdesk/fluxdesk" --version)" = "fluxdesk $version" ] || die "the unpacked bundle does not start"
HOME="$try/home" XDG_DATA_HOME="" "$unpacked/install.sh"
installed="$try/home/.local/share/applications/$app_id.desktop"
desktop-file-validate "$installed" || die "the installed desktop entry does not validate"
grep -Fqx "Exec=\"$unpacked/fluxdesk/fluxdesk\"" "$installed" || die "the installed Exec is not the unpacked bundle"
for f in metainfo/$app_id.metainfo.xml icons/hicolor/256x256/apps/fluxdesk.png icons/hicolor/scalable/apps/fluxdesk.svg; do
    [ -f "$try/home/.local/share/$f" ] || die "install.sh did not install $f"
done
HOME="$try/home" XDG_DATA_HOME="" "$unpacked/uninstall.sh"
left="$(find "$try/home/.local/share" -name "$app_id*" -o -name 'fluxdesk.png' -o -name 'fluxdesk.svg')"
[ -z "$left" ] || die "uninstall.sh left: $left"
echo "install.sh and uninstall.sh work"

step "done"
echo "bundle:  $(du -sh dist/fluxdesk | cut -f1)  dist/fluxdesk/"
echo "tarball: $(du -h "$tarball" | cut -f1)  $tarball ($(stat -c %s "$tarball") bytes)"
glibc="$(find dist/fluxdesk -type f \( -name '*.so*' -o -name fluxdesk \) -print0 | xargs -0 objdump -T 2>/dev/null \
    | grep -o 'GLIBC_[0-9.]*' | sort -u -V | tail -1 | sed 's/GLIBC_//')"
echo "needs:   glibc $glibc or newer"
echo "largest shared libraries in the bundle:"
# awk, not head: with pipefail, head closing the pipe early would fail the build (SIGPIPE).
find dist/fluxdesk -type f -name '*.so*' -printf '%s %P\n' | sort -rn \
    | awk 'NR <= 12 { printf "  %6.1f MB  %s\n", $1 / 1048576, $2 }'
echo "built in $(( $(date +%s) - t0 ))s"
