/* mmio.h - `mmap` with backing "mmio": PFNMAP memory from a PCI BAR mapped through VFIO.
 *
 * The memory is BAR2 of QEMU's ivshmem-plain device (RAM behind a BAR, so tokens stick and the
 * edu device reaches it by DMA), bound to vfio-pci in a group and container of its own, not the
 * suite's: an `mmio` mmap is mmap(MAP_SHARED | MAP_FIXED) of the VFIO device fd, a VM_PFNMAP
 * VMA exactly like a BAR mapped by a VFIO user. Each mmap gets fresh zeroed pages of the BAR,
 * never handed out again in the case (a per-case bump allocator).
 *
 * The CPU cannot reach PFNMAP memory with process_vm_readv/writev (GUP refuses VM_PFNMAP):
 * cpuRead/cpuWrite there are plain loads and stores, after /proc/self/maps says the VMA is
 * the device's and its protection allows the access (EFAULT otherwise, never a signal). */
#ifndef AGENT_MMIO_H
#define AGENT_MMIO_H

#include <stdint.h>

/* Can this process open the device, map a page and keep a token in it? (the probe, at start) */
int mmio_check(void);
/* the probe's answer: hello declares the "mmio" capability */
extern int mmio_available;

/* mmap(vaddr, size, prot) of fresh BAR pages; 0, or -1 with the kernel's errno, or -1 with
 * *fatal when the agent cannot (the device does not open, the BAR is used up in this case).
 * The device is opened on the case's first call. */
int mmio_mmap(uint64_t vaddr, uint64_t size, int prot, const char **fatal);

/* A CPU load or store of 8 bytes at vaddr, for an address process_vm_readv/writev refused:
 * 0, or -1 with EFAULT when vaddr is not in a device VMA that allows the access. */
int mmio_cpu_read(uint64_t vaddr, uint64_t *token);
int mmio_cpu_write(uint64_t vaddr, uint64_t token);

/* Closes the device, group and container fds (the VMAs keep the device open until they go). */
void mmio_close(void);

#endif
