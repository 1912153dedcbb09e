#!/bin/busybox sh
# /init of the vfio-conform kernel-backend initramfs: load the VFIO modules (none with a kernel
# that has them built in: /modules.list is empty), bind the QEMU edu and ivshmem devices to
# vfio-pci, then exec the agent (kernel/agent/) as PID 1.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
log() { echo "init: $* (uptime $(cut -d' ' -f1 /proc/uptime))"; }
log start
[ -s /modules.list ] || log "no modules to load: VFIO is built in"
# busybox insmod does not apply "module.param=value" from the kernel command line: pass them here
for m in $(cat /modules.list); do
  n=$(echo "${m%.ko}" | tr - _); args=
  for a in $(cat /proc/cmdline); do
    case $a in "$n".*=*) args="$args ${a#"$n".}" ;; esac
  done
  insmod "/lib/modules/$m" $args || log "insmod $m failed"
done
# bind to vfio-pci the edu device (DMA engine) and, if present, the ivshmem device (its BAR2
# backs the agent's mmio memory); with a modular virtio-iommu a device joins its IOMMU group
# only when probed, so bind first and wait for the group
bind() { # $1: vendor:device; prints the device's BDF
  local d bdf= g i=0
  for d in /sys/bus/pci/devices/*; do
    if [ "$(cat "$d/vendor"):$(cat "$d/device")" = "$1" ]; then bdf=${d##*/}; fi
  done
  [ -n "$bdf" ] || return 1
  echo vfio-pci > "/sys/bus/pci/devices/$bdf/driver_override"
  echo "$bdf" > /sys/bus/pci/drivers_probe
  while :; do
    g=$(readlink "/sys/bus/pci/devices/$bdf/iommu_group" 2>/dev/null); g=${g##*/}
    [ -n "$g" ] && [ -e "/dev/vfio/$g" ] && break
    i=$((i + 1)); [ $i -gt 100 ] && { log "no /dev/vfio group for $bdf" >&2; break; }
    sleep 0.1
  done
  log "$1 $bdf group $g driver $(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")")" >&2
  echo "$bdf"
}
BDF=$(bind 0x1234:0x11e8) || { log "no edu device"; poweroff -f; }
bind 0x1af4:0x1110 > /dev/null || log "no ivshmem device: no mmio memory"
cat /proc/interrupts | grep -iE 'dmar|virtio|iommu' || true
# guest.args= (backend.ts --guest-args): the payload's arguments, joined by commas, with the
# presets @edu (--group N --device BDF) and @edu-cdev (--cdev /dev/vfio/devices/vfioN) of the edu device
set --
for a in $(cat /proc/cmdline); do
  case $a in guest.args=*)
    g=$(readlink "/sys/bus/pci/devices/$BDF/iommu_group"); g=${g##*/}
    c=$(ls "/sys/bus/pci/devices/$BDF/vfio-dev" 2>/dev/null | head -n 1)
    for w in $(echo "${a#guest.args=}" | tr , ' '); do
      case $w in
        @edu) set -- "$@" --group "$g" --device "$BDF" ;;
        @edu-cdev) set -- "$@" --cdev "/dev/vfio/devices/$c" ;;
        *) set -- "$@" "$w" ;;
      esac
    done ;;
  esac
done
/bin/agent "$@"
log "agent exited with $?"
poweroff -f
