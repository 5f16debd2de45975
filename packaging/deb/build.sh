#!/usr/bin/env bash
# Builds the Debian package of Kumiki: kumiki_<version>-1_<arch>.deb, for installing offline.
#   packaging/deb/build.sh [--binary PATH] [--out DIR]
# Without --binary it builds the release binary first (cargo build --release --locked). --out is
# where the .deb goes (default target/debian). Needs dpkg-dev (dpkg-shlibdeps) and binutils
# (strip), both part of build-essential; no cargo-deb (docs/dependencies.md). DEBFULLNAME and
# DEBEMAIL name the maintainer.
# KUMIKI_DEB_COMPRESSION (xz by default, as Debian's own packages) is passed to dpkg-deb -Z.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

usage() { echo "usage: packaging/deb/build.sh [--binary PATH] [--out DIR]" >&2; exit 2; }
BIN=""
OUT="$ROOT/target/debian"
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) [ $# -ge 2 ] || usage; BIN=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "build.sh: unknown argument: $1" >&2; usage ;;
  esac
done
for tool in dpkg-deb dpkg-shlibdeps strip gzip; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing (apt-get install build-essential)" >&2; exit 1; }
done

if [ -z "$BIN" ]; then
  (cd "$ROOT" && cargo build --release --locked -p kumiki-platform --bin kumiki)
  BIN=$ROOT/target/release/kumiki
fi
[ -f "$BIN" ] && [ -x "$BIN" ] || { echo "build.sh: no kumiki binary at $BIN" >&2; exit 1; }

# The version of the workspace ([workspace.package] in Cargo.toml) plus Debian revision 1.
VERSION=$(awk '
  /^\[/ { section = $0; next }
  section == "[workspace.package]" && $1 == "version" { gsub(/"/, "", $3); print $3; exit }
' "$ROOT/Cargo.toml")
[ -n "$VERSION" ] || { echo "build.sh: no version in [workspace.package] of Cargo.toml" >&2; exit 1; }
DEB_VERSION="$VERSION-1"
ARCH=$(dpkg --print-architecture)
MAINTAINER="${DEBFULLNAME:-Kumiki maintainers} <${DEBEMAIL:-kumiki@example.jp}>"
COMMIT=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# File times and the changelog date from the commit, so two builds of one commit match.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kumiki-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PKG=$WORK/kumiki_${DEB_VERSION}_$ARCH
DOC=$PKG/usr/share/doc/kumiki

install -d -m 0755 "$PKG/DEBIAN" "$PKG/usr/bin" "$PKG/lib/systemd/system" "$PKG/etc/kumiki" \
  "$PKG/etc/default" "$DOC"
# Stripped as dh_strip does: the release binary's line tables are ~half its size.
install -m 0755 "$BIN" "$PKG/usr/bin/kumiki"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$PKG/usr/bin/kumiki"
install -m 0644 "$HERE/kumiki.service" "$PKG/lib/systemd/system/kumiki.service"
# Read by the service as group kumiki (postinst sets the group); /etc/default/kumiki may hold
# passwords and is read by systemd as root only.
install -m 0640 "$HERE/kumiki.toml" "$PKG/etc/kumiki/kumiki.toml"
install -m 0600 "$HERE/default" "$PKG/etc/default/kumiki"
install -m 0644 "$HERE/copyright" "$DOC/copyright"
install -m 0644 "$HERE/README.Debian" "$DOC/README.Debian"
install -d -m 0755 "$PKG/usr/share/lintian/overrides"
install -m 0644 "$HERE/lintian-overrides" "$PKG/usr/share/lintian/overrides/kumiki"
{
  echo "kumiki ($DEB_VERSION) unstable; urgency=medium"
  echo
  echo "  * Built from commit $COMMIT of the Kumiki source tree."
  echo
  echo " -- $MAINTAINER  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$DOC/changelog.Debian.gz"
chmod 0644 "$DOC/changelog.Debian.gz"
for script in postinst prerm postrm; do
  install -m 0755 "$HERE/$script" "$PKG/DEBIAN/$script"
done
printf '/etc/default/kumiki\n/etc/kumiki/kumiki.toml\n' >"$PKG/DEBIAN/conffiles"
chmod 0644 "$PKG/DEBIAN/conffiles"

# Run-time libraries of the binary, with the versions its symbols need (libc6 (>= 2.34), ...).
mkdir -p "$WORK/src/debian"
printf 'Source: kumiki\n\nPackage: kumiki\nArchitecture: any\n' >"$WORK/src/debian/control"
SHLIBS=$(cd "$WORK/src" && dpkg-shlibdeps -O "$PKG/usr/bin/kumiki" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$SHLIBS" ] || { echo "build.sh: dpkg-shlibdeps found no libraries for $BIN" >&2; exit 1; }

INSTALLED_SIZE=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
cat >"$PKG/DEBIAN/control" <<EOF
Package: kumiki
Version: $DEB_VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_SIZE
Depends: $SHLIBS, adduser
Recommends: mecab-ipadic
Suggests: postgresql, clamav-daemon
Section: web
Priority: optional
Description: kintone-compatible low-code platform for local governments
 Kumiki is a self-hosted platform of kintone-style record apps: departments
 build their own apps, IT reviews them, staff search a document archive. It
 speaks kintone's REST API, keeps its data in the embedded SQLite or in
 PostgreSQL, and makes no outbound connection at run time.
 .
 This package runs it as the systemd service kumiki under the kumiki user,
 with its data in /var/lib/kumiki and its settings in /etc/kumiki/kumiki.toml.
 mecab-ipadic ranks whole words first in full-text search.
EOF
(cd "$PKG" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$PKG/DEBIAN/md5sums"
chmod 0644 "$PKG/DEBIAN/control" "$PKG/DEBIAN/md5sums"
find "$PKG" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$OUT"
DEB=$OUT/kumiki_${DEB_VERSION}_$ARCH.deb
dpkg-deb --root-owner-group -Z"${KUMIKI_DEB_COMPRESSION:-xz}" --build "$PKG" "$DEB" >/dev/null
echo "$DEB"
