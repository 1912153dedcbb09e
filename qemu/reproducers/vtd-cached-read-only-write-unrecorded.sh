#!/bin/sh
# intel-iommu: a DMA write refused by a read-only IOTLB entry leaves no fault record.
#
# Endpoint 0 (edu at 00:10.0) is attached to domain 1, whose second-level table maps
# iova 0x1000 read-only to 0x40001000. A read DMA caches the translation; a write DMA to the
# same page is then refused with FSTS (0xfed90034) still 0: no fault is recorded. After a
# global IOTLB invalidation the same write is refused AND recorded (FSTS.PPF set, FRCD at
# 0xfed90220 holds the write fault for source id 0x80, page 0x1000). The VT-d specification
# (chapter 7, address translation faults) makes a write through a second-level entry without
# write permission a non-recoverable fault, which is recorded. On an IOTLB hit
# vtd_do_iommu_translate returns the cached entry without checking the access, and the memory
# core refuses the write with nothing recorded (seen on QEMU 7.2 and 11.1.3).
#
# Look for the two "# dma endpoint=0 iova=0x1000 access=write" notes in the log and the
# "readl 0xfed90034" after each.
# QEMU driven over qtest with no guest, as a conformance run drove it. Run: sh THIS_FILE
# QEMU=<program> runs another build. The log shows each command beside its reply; a line
# starting with # is the case's operation that the commands after it carry out. A command
# followed by a tab and a reply is a poll: sent again until QEMU gives that reply.
set -eu
dir=$(mktemp -d)
trap 'kill "$qemu" 2>/dev/null || true; rm -rf "$dir"' EXIT
qemu=
base64 -d <<'EOF' | gunzip > "$dir/halt.bin"
H4sIAAAAAAAAA+3HsQ0AAAQAsP9vtZokwuoH7dYZAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAPqqMvl+aA0RlAAABAA==
EOF
cat > "$dir/commands" <<'EOF'
outl 0xcf8 0x80008000
inl 0xcfc
outl 0xcf8 0x80008010
outl 0xcfc 0xfe000000
outl 0xcf8 0x80008004
outw 0xcfc 0x6
outl 0xcf8 0x80008800
inl 0xcfc
outl 0xcf8 0x80008810
outl 0xcfc 0xfe100000
outl 0xcf8 0x80008804
outw 0xcfc 0x6
readq 0xfed90008
memset 0x105000 0x1000 0x0
memset 0x106000 0x1000 0x0
memset 0x107000 0x1000 0x0
writeq 0x105000 0x106003
writeq 0x106000 0x107003
writeq 0x107000 0x104003
memset 0x100000 0x1000 0x0
memset 0x101000 0x1000 0x0
writeq 0x100000 0x101001
writeq 0xfed90020 0x100000
writel 0xfed90018 0x40000000
readl 0xfed9001c
memset 0x102000 0x1000 0x0
writeq 0xfed90090 0x102000
writeq 0xfed90088 0x0
writel 0xfed90018 0x4000000
readl 0xfed9001c
writel 0xfed90018 0x84000000
readl 0xfed9001c
memset 0x200000 0x1000 0x0
memset 0x201000 0x1000 0x0
writeq 0x200000 0x201003
writeq 0x200008 0x105003
memset 0x202000 0x1000 0x0
memset 0x203000 0x1000 0x0
writeq 0x202000 0x203003
writeq 0x202008 0x105003
memset 0x204000 0x1000 0x0
memset 0x205000 0x1000 0x0
writeq 0x204000 0x205003
writeq 0x204008 0x105003
memset 0x206000 0x1000 0x0
memset 0x207000 0x1000 0x0
writeq 0x206000 0x207003
writeq 0x206008 0x105003
# reset: the state a case starts from
memset 0x101000 0x1000 0x0
writel 0x103000 0x0
writeq 0x102000 0x11
writeq 0x102008 0x0
writeq 0x102010 0xd2
writeq 0x102018 0x0
writeq 0x102020 0x100000025
writeq 0x102028 0x103000
writeq 0xfed90088 0x30
readl 0x103000
readl 0xfed90034
memset 0x200000 0x1000 0x0
memset 0x201000 0x1000 0x0
writeq 0x200000 0x201003
writeq 0x200008 0x105003
memset 0x202000 0x1000 0x0
memset 0x203000 0x1000 0x0
writeq 0x202000 0x203003
writeq 0x202008 0x105003
memset 0x204000 0x1000 0x0
memset 0x205000 0x1000 0x0
writeq 0x204000 0x205003
writeq 0x204008 0x105003
memset 0x206000 0x1000 0x0
memset 0x207000 0x1000 0x0
writeq 0x206000 0x207003
writeq 0x206008 0x105003
# attach endpoint=0 domain=0
writeq 0x101808 0x102
writeq 0x101800 0x200001
# map domain=0 iova=0x1000 size=0x1000 pa=0x40001000 perm=r page=0x1000
memset 0x208000 0x1000 0x0
memset 0x209000 0x1000 0x0
writeq 0x201000 0x208003
writeq 0x208000 0x209003
writeq 0x209008 0x40001001
# invalidate global
writel 0x103000 0x0
writeq 0x102030 0x11
writeq 0x102038 0x0
writeq 0x102040 0xd2
writeq 0x102048 0x0
writeq 0x102050 0x200000025
writeq 0x102058 0x103000
writeq 0xfed90088 0x60
readl 0x103000
# dma endpoint=0 iova=0x1000 access=read secure=false
writeb 0x104000 0x0
writeb 0x40001000 0x1
writeq 0xfe000080 0x1000
writeq 0xfe000088 0x40000
writeq 0xfe000090 0x1
writeq 0xfe000098 0x1
readq 0xfe000098	OK 0x0000000000000000
readl 0xfed90034
writeq 0xfe000080 0x40000
writeq 0xfe000088 0x8000000000
writeq 0xfe000090 0x1
writeq 0xfe000098 0x3
readq 0xfe000098	OK 0x0000000000000002
readb 0x104000
readl 0xfed90034
# dma endpoint=0 iova=0x1000 access=write secure=false
writeb 0x104000 0x2
writeb 0x40001000 0x0
writeq 0xfe000080 0x8000000000
writeq 0xfe000088 0x40000
writeq 0xfe000090 0x1
writeq 0xfe000098 0x1
readq 0xfe000098	OK 0x0000000000000000
readl 0xfed90034
writeq 0xfe000080 0x40000
writeq 0xfe000088 0x1000
writeq 0xfe000090 0x1
writeq 0xfe000098 0x3
readq 0xfe000098	OK 0x0000000000000002
readl 0xfed90034
readb 0x40001000
# faults
# invalidate global
writel 0x103000 0x0
writeq 0x102060 0x11
writeq 0x102068 0x0
writeq 0x102070 0xd2
writeq 0x102078 0x0
writeq 0x102080 0x300000025
writeq 0x102088 0x103000
writeq 0xfed90088 0x90
readl 0x103000
# dma endpoint=0 iova=0x1000 access=write secure=false
writeb 0x104000 0x3
writeb 0x40001000 0x0
writeq 0xfe000080 0x8000000000
writeq 0xfe000088 0x40000
writeq 0xfe000090 0x1
writeq 0xfe000098 0x1
readq 0xfe000098	OK 0x0000000000000000
readl 0xfed90034
writeq 0xfe000080 0x40000
writeq 0xfe000088 0x1000
writeq 0xfe000090 0x1
writeq 0xfe000098 0x3
readq 0xfe000098	OK 0x0000000000000002
readl 0xfed90034
readq 0xfed90228
readq 0xfed90220
writel 0xfed9022c 0x80000000
writel 0xfed90034 0x0
readb 0x40001000
# faults
EOF
mkfifo "$dir/in" "$dir/out"
${QEMU:-/usr/bin/qemu-system-x86_64} -qtest stdio -qtest-log /dev/stderr -display none -nodefaults -no-user-config -monitor none -serial none \
  -machine q35 -accel tcg -bios "$dir/halt.bin" -icount shift=0,sleep=off -m 2G -device intel-iommu,aw-bits=48,caching-mode=off -device edu,addr=0x10,dma_mask=0xffffffffffffffff -device edu,addr=0x11,dma_mask=0xffffffffffffffff < "$dir/in" > "$dir/out" &
qemu=$!
exec 3> "$dir/in" 4< "$dir/out"
tab=$(printf '\t')
while IFS= read -r line; do
  case $line in '#'*) printf '%s\n' "$line" >&2; continue ;; esac
  cmd=${line%%"$tab"*}; until=
  [ "$cmd" = "$line" ] || until=${line#*"$tab"}
  tries=0
  while :; do
    printf '%s\n' "$cmd" >&3
    IFS= read -r reply <&4 || { echo "QEMU ended before answering: $cmd" >&2; exit 1; }
    if [ -z "$until" ] || [ "$reply" = "$until" ]; then break; fi
    tries=$((tries + 1))
    if [ "$tries" -ge 100000 ]; then echo "no "$until" after $tries tries of: $cmd" >&2; exit 1; fi
  done
done < "$dir/commands"
