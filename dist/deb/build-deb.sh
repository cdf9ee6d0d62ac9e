#!/usr/bin/env bash
# Builds kodiak_VERSION_all.deb from the distribution tarball (lb-core/target/kodiak-VERSION.tar.gz)
# with plain dpkg-deb: the files of the tarball under /opt/kodiak, /usr/bin/kodiak linked to its
# launcher, the systemd unit, and /etc/kodiak/kodiak.yaml as a conffile (an upgrade keeps your
# edits). Installing creates the system user kodiak but neither enables nor starts the service:
# the example configuration must be edited first (dist/INSTALL.md).
#
# usage: dist/deb/build-deb.sh TARBALL OUTDIR    (prints the path of the .deb)
set -euo pipefail

die() { echo "build-deb: $*" >&2; exit 2; }
[[ $# -eq 2 ]] || die "usage: build-deb.sh TARBALL OUTDIR"
tarball=$1
out=$2
[[ -f $tarball ]] || die "$tarball: no such file"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (apt-get install dpkg)"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

name=$(basename "$tarball" .tar.gz)                # kodiak-0.1.0-SNAPSHOT
version=${name#kodiak-}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-SNAPSHOT)?$ ]] || die "$tarball: not kodiak-X.Y.Z[-SNAPSHOT].tar.gz"
debversion=${version/-SNAPSHOT/~snapshot}           # ~ sorts before the release, as Debian wants

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
mkdir -p "$root/opt" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/kodiak" "$root/DEBIAN"
tar --no-same-owner -xzf "$tarball" -C "$root/opt"
mv "$root/opt/$name" "$root/opt/kodiak"
ln -s /opt/kodiak/bin/kodiak "$root/usr/bin/kodiak"
install -m 0644 "$root/opt/kodiak/kodiak.service" "$root/lib/systemd/system/kodiak.service"
install -m 0640 "$root/opt/kodiak/etc/kodiak.yaml" "$root/etc/kodiak/kodiak.yaml"

size=$(du -sk "$root" | cut -f1)
sed -e "s/@VERSION@/$debversion/" -e "s/@SIZE@/$size/" "$here/control" > "$root/DEBIAN/control"
echo /etc/kodiak/kodiak.yaml > "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "$here/$script" "$root/DEBIAN/$script"
done

mkdir -p "$out"
deb=$out/kodiak_${debversion}_all.deb
dpkg-deb -Zgzip --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
