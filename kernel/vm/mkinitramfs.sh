#!/bin/bash
# usage: mkinitramfs.sh MODDIR|none AGENT_BINARY OUT.cpio.gz
# MODDIR is lib/modules/KVER of an extracted Debian linux-image package (depmod already run);
# `none`: a kernel with VFIO, vfio-pci and the IOMMUs built in (kernel/iommufd/), no modules.
# Another guest (kernel/ppc64/) sets BUSYBOX (its architecture's static busybox), INIT (its
# /init), MODULES (the modules to load, dependencies found by modules.dep) and REQUIRED.
set -euo pipefail
MODDIR=$1; AGENT=$2; OUT=$3
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W"/{bin,proc,sys,dev,tmp,lib/modules}
cp "${BUSYBOX:-/bin/busybox}" "$W/bin/busybox"
cp "$AGENT" "$W/bin/agent"
cp "${INIT:-$HERE/init.sh}" "$W/init"
chmod +x "$W/init"
: > "$W/modules.list"
declare -A seen
add() { # $1: module path relative to MODDIR, as in modules.dep; dependencies first
  local rel=$1 d base
  [[ -n "${seen[$rel]:-}" ]] && return 0
  seen[$rel]=1
  for d in $(grep -E "^${rel}:" "$MODDIR/modules.dep" | cut -d: -f2); do add "$d"; done
  base=${rel##*/}; base=${base%.xz}; base=${base%.zst}
  case $rel in
    *.xz) xz -dc "$MODDIR/$rel" > "$W/lib/modules/$base" ;;
    *.zst) zstd -qdc "$MODDIR/$rel" > "$W/lib/modules/$base" ;;
    *) cp "$MODDIR/$rel" "$W/lib/modules/$base" ;;
  esac
  echo "$base" >> "$W/modules.list"
}
if [[ $MODDIR != none ]]; then
  for m in ${MODULES:-vfio vfio_iommu_type1 vfio-pci-core vfio-pci virtio-iommu virtio_console}; do
    rel=$(grep -oE "^[^:]*/${m}\.ko(\.xz|\.zst)?:" "$MODDIR/modules.dep" | head -1 | tr -d :) || true
    if [[ -n "$rel" ]]; then add "$rel"; fi
  done
  REQUIRED=${REQUIRED:-vfio_iommu_type1}
  grep -q "$REQUIRED" "$W/modules.list" || { echo "mkinitramfs: $REQUIRED not found" >&2; exit 1; }
fi
(cd "$W" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs: $OUT modules: $(tr '\n' ' ' < "$W/modules.list")" >&2
