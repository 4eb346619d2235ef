#!/usr/bin/env bash
# Validate FluxDesk's Linux desktop integration: the desktop entry, the AppStream metainfo, the icons,
# and all three installed together in a staged tree. Exits non-zero on the first failure.
#
# Needs desktop-file-validate and appstreamcli (Debian: apt-get install desktop-file-utils appstream).
# Never touches the network (appstreamcli --no-net: the screenshot URLs are not fetched).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app_id="io.github.fluxdesk.FluxDesk"
desktop="$here/$app_id.desktop"
metainfo="$here/$app_id.metainfo.xml"
icons="$here/icons/hicolor"
sizes=(16 24 32 48 64 128 256 512)

fail() { echo "validate.sh: FAILED: $*" >&2; exit 1; }

for tool in desktop-file-validate appstreamcli; do
    command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install desktop-file-utils appstream)"
done

echo "== desktop-file-validate $app_id.desktop"
out="$(desktop-file-validate "$desktop" 2>&1)" || { echo "$out"; fail "desktop-file-validate"; }
# It exits 0 on hints and warnings; treat anything it prints as a failure except hints.
warnings="$(grep -Ev '^[^:]+: hint: ' <<<"$out" || true)"
if [[ -n "$warnings" ]]; then echo "$out"; fail "desktop-file-validate printed warnings"; fi
[[ -n "$out" ]] && echo "$out"
grep -qx 'Icon=fluxdesk' "$desktop" || fail "the desktop entry's Icon is not 'fluxdesk'"

echo "== appstreamcli validate --no-net $app_id.metainfo.xml"
appstreamcli validate --no-net "$metainfo" || fail "appstreamcli validate"
grep -q "<id>$app_id</id>" "$metainfo" || fail "the metainfo id is not $app_id"
grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$metainfo" \
    || fail "the metainfo's launchable is not $app_id.desktop"

echo "== icons"
for size in "${sizes[@]}"; do
    png="$icons/${size}x${size}/apps/fluxdesk.png"
    [[ -f "$png" ]] || fail "missing $png (python packaging/linux/render-icons.py)"
    # The PNG header: width and height are the big-endian words at bytes 16 and 20.
    read -r width height < <(od -An -tu1 -j16 -N8 "$png" \
        | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}')
    [[ "$width" == "$size" && "$height" == "$size" ]] || fail "$png is ${width}x${height}, not ${size}x${size}"
done
cmp -s "$icons/scalable/apps/fluxdesk.svg" "$here/../../resources/icons/fluxdesk.svg" \
    || fail "icons/hicolor/scalable/apps/fluxdesk.svg differs from resources/icons/fluxdesk.svg (re-render)"
echo "${#sizes[@]} PNGs and the scalable SVG are in place"

echo "== appstreamcli validate-tree (a staged install)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
install -Dm644 "$desktop" "$stage/usr/share/applications/$app_id.desktop"
install -Dm644 "$metainfo" "$stage/usr/share/metainfo/$app_id.metainfo.xml"
mkdir -p "$stage/usr/share/icons"
cp -r "$icons" "$stage/usr/share/icons/"
appstreamcli validate-tree --no-net "$stage" || fail "appstreamcli validate-tree"

echo "validate.sh: all good"
