#!/bin/sh
# Take out what install.sh put in ~/.local/share: the menu entry, its metadata and the icons.
# FluxDesk's own folder, your library (~/.local/share/FluxDesk) and the API key in the system
# keyring stay; `fluxdesk/fluxdesk key clear` removes the key, and deleting the folders the rest.
set -eu

here="$(cd "$(dirname "$0")" && pwd -P)"
app_id="io.github.fluxdesk.FluxDesk"
data="${XDG_DATA_HOME:-}"
case "$data" in /*) ;; *) data="$HOME/.local/share" ;; esac

rm -f "$data/applications/$app_id.desktop" "$data/metainfo/$app_id.metainfo.xml"
for icon in "$data"/icons/hicolor/*/apps/fluxdesk.png "$data"/icons/hicolor/*/apps/fluxdesk.svg; do
    [ -e "$icon" ] && rm -f "$icon"
done

command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
# Refresh the icon cache only where one exists already: a cache nobody else updates goes stale.
if [ -f "$data/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t -f "$data/icons/hicolor" || true
fi

echo "FluxDesk's menu entry is gone. Its folder ($here), your library and your key are untouched."
