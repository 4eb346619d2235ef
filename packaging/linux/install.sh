#!/bin/sh
# Put FluxDesk in your applications menu, for you only (no root needed): the desktop entry, its
# AppStream metadata and the icons go under ~/.local/share, and the menu entry starts the FluxDesk
# in this folder. Move the folder? Run install.sh again. ./uninstall.sh takes it all out.
set -eu

here="$(cd "$(dirname "$0")" && pwd -P)"
app_id="io.github.fluxdesk.FluxDesk"
exe="$here/fluxdesk/fluxdesk"

[ -x "$exe" ] || { echo "install.sh: $exe is missing: run install.sh from the unpacked FluxDesk folder" >&2; exit 1; }
case "$exe" in
    *"
"*) echo "install.sh: the folder's path contains a line break; move FluxDesk elsewhere" >&2; exit 1 ;;
esac

data="${XDG_DATA_HOME:-}"
case "$data" in /*) ;; *) data="$HOME/.local/share" ;; esac  # a relative XDG_DATA_HOME is invalid

# The Exec key quotes its argument: \ " ` $ get a backslash; then the value's own escaping doubles
# every backslash; % is doubled (field codes). TryExec is a plain string: only \ is doubled.
exec_arg="$(printf '%s' "$exe" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g' -e 's/%/%%/g')"
try_exec="$(printf '%s' "$exe" | sed -e 's/\\/\\\\/g')"

mkdir -p "$data/applications" "$data/metainfo"
desktop="$data/applications/$app_id.desktop"
tmp="$desktop.tmp.$$"
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
        Exec=*) printf 'Exec="%s"\n' "$exec_arg" ;;
        TryExec=*) printf 'TryExec=%s\n' "$try_exec" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$here/share/applications/$app_id.desktop" > "$tmp"
chmod 644 "$tmp"
mv -f "$tmp" "$desktop"

cp -f "$here/share/metainfo/$app_id.metainfo.xml" "$data/metainfo/"
(cd "$here/share/icons" && find hicolor -type f) | while IFS= read -r icon; do
    mkdir -p "$data/icons/$(dirname "$icon")"
    cp -f "$here/share/icons/$icon" "$data/icons/$icon"
done

command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
# Refresh the icon cache only where one exists already: a cache nobody else updates goes stale.
if [ -f "$data/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t -f "$data/icons/hicolor" || true
fi

echo "FluxDesk is in your applications menu (it starts $exe)."
echo "Remove the menu entry with: $here/uninstall.sh"
