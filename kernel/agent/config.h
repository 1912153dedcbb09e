/* config.h - the agent's settings: kernel command line options and the devices found in sysfs.
 *
 *   agent.family=type1|iommufd  the suite family served (default type1): a VFIO type1
 *                           container, or /dev/iommu and the device cdevs (iommufd.h)
 *   agent.profile=v1|v2     VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU (default v2; type1 only)
 *   agent.port=PATH         protocol channel (default: the virtio-serial port named PORT_NAME,
 *                           else /dev/vport0p1); the first program argument overrides it
 *   agent.bdf=DDDD:BB:DD.F  the edu device (default: found by vendor/device id 1234:11e8)
 *   agent.mmio=DDDD:BB:DD.F the device whose BAR2 backs `mmio` memory (default: found by
 *                           vendor/device id 1af4:1110, QEMU's ivshmem; none: no mmio)
 *   agent.iommu=NAME        only used in the description
 *   agent.hugepages=N       the huge page pool set at start with agent.family=iommufd
 *                           (default 64: 128 MiB of the guest's memory)
 *   agent.kernel=NAME       the runner's --kernel (debian-6.12, iommufd-compat, ...): the description
 *   agent.poll=US           sleep between edu status polls (default 100000; with -icount
 *                           shift=0,sleep=off the virtual clock jumps to the DMA deadline)
 */
#ifndef AGENT_CONFIG_H
#define AGENT_CONFIG_H

#define PORT_NAME "vfio-conform"
#define EDU_VENDOR "0x1234"
#define EDU_DEVICE "0x11e8"
#define MMIO_VENDOR "0x1af4"
#define MMIO_DEVICE "0x1110"

extern int family_iommufd;
extern int profile_v1;
extern char port_path[256];
extern char viommu_irq_name[64]; /* "virtioN" of the virtio-iommu device, if any */
extern char bdf[256];            /* the edu device */
extern char mmio_bdf[256];       /* the ivshmem device, or "" */
extern char iommu_name[64];
extern char kernel_name[64];
extern long poll_us;
extern long hugepages;

void parse_cmdline(void);
/* the virtio-iommu's interrupt name, and the protocol port unless agent.port= gave one */
void find_names(void);
/* the edu device unless agent.bdf= gave one; -1 if there is none */
int find_edu(void);
/* the ivshmem device unless agent.mmio= gave one; leaves mmio_bdf empty if there is none */
void find_mmio(void);

#endif
