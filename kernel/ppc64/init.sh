#!/bin/busybox sh
# /init of the ppc64 guest (kernel/ppc64/backend.ts): load the VFIO modules, bind every QEMU edu
# device (one per PHB: one IOMMU group each) to vfio-pci, then run the sPAPR agent.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
log() { echo "init: $* (uptime $(cut -d' ' -f1 /proc/uptime))"; }
for m in $(cat /modules.list); do insmod "/lib/modules/$m" || log "insmod $m failed"; done
for d in /sys/bus/pci/devices/*; do
  [ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] || continue
  echo vfio-pci > "$d/driver_override"
  echo "${d##*/}" > /sys/bus/pci/drivers_probe
  g=$(readlink "$d/iommu_group"); log "edu ${d##*/} group ${g##*/}"
done
for g in /sys/kernel/iommu_groups/*; do log "group ${g##*/}: $(ls $g/devices)"; done
# guest.args= (backend.ts --guest-args): the payload's arguments, joined by commas, with the
# preset @groups (--group N of each edu device, in PHB order)
set --
for a in $(cat /proc/cmdline); do
  case $a in guest.args=*)
    for w in $(echo "${a#guest.args=}" | tr , ' '); do
      if [ "$w" = @groups ]; then
        for d in /sys/bus/pci/devices/*; do
          [ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] || continue
          g=$(readlink "$d/iommu_group"); set -- "$@" --group "${g##*/}"
        done
      else set -- "$@" "$w"; fi
    done ;;
  esac
done
for d in /sys/bus/pci/devices/*; do log "${d##*/} $(cat $d/vendor):$(cat $d/device) driver $(basename "$(readlink $d/driver)")"; done
/bin/agent "$@"
log "agent exited with $?"
poweroff -f
