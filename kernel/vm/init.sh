#!/bin/busybox sh
# /init of the vfio-conform kernel-backend initramfs: load the VFIO modules, bind the QEMU edu
# device to vfio-pci, then exec the agent (kernel/agent/) as PID 1.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
log() { echo "init: $* (uptime $(cut -d' ' -f1 /proc/uptime))"; }
log start
# busybox insmod does not apply "module.param=value" from the kernel command line: pass them here
for m in $(cat /modules.list); do
  n=$(echo "${m%.ko}" | tr - _); args=
  for a in $(cat /proc/cmdline); do
    case $a in "$n".*=*) args="$args ${a#"$n".}" ;; esac
  done
  insmod "/lib/modules/$m" $args || log "insmod $m failed"
done
BDF=
for d in /sys/bus/pci/devices/*; do
  if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then BDF=${d##*/}; fi
done
[ -n "$BDF" ] || { log "no edu device"; poweroff -f; }
# bind first: with a modular virtio-iommu the device joins its IOMMU group only when probed
echo vfio-pci > "/sys/bus/pci/devices/$BDF/driver_override"
echo "$BDF" > /sys/bus/pci/drivers_probe
i=0
while :; do
  g=$(readlink "/sys/bus/pci/devices/$BDF/iommu_group" 2>/dev/null); g=${g##*/}
  [ -n "$g" ] && [ -e "/dev/vfio/$g" ] && break
  i=$((i + 1)); [ $i -gt 100 ] && { log "no /dev/vfio group for $BDF"; break; }
  sleep 0.1
done
log "edu $BDF group $g driver $(basename "$(readlink "/sys/bus/pci/devices/$BDF/driver")")"
cat /proc/interrupts | grep -iE 'dmar|virtio|iommu' || true
/bin/agent
log "agent exited with $?"
poweroff -f
