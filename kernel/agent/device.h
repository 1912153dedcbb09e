/* device.h - the edu device as the iommufd family sees it: its VFIO cdev
 * (/dev/vfio/devices/vfioN, found from /sys/bus/pci/devices/<bdf>/vfio-dev/), bound to the
 * context with VFIO_DEVICE_BIND_IOMMUFD, attached with ATTACH_IOMMUFD_PT, detached with
 * DETACH_IOMMUFD_PT (drivers/vfio/device_cdev.c), IOMMU_GET_HW_INFO; and the DMA staging of
 * dma.c on top of it.
 *
 * The suite's device 0 is the edu device, the only one. Once bound, its BAR0 is mapped (the
 * edu registers, `bar0` of container.h) and bus mastering is on: a cdev grants region access
 * only after bind (vfio_main.c: vfio_device_fops_unl_ioctl, access_granted). */
#ifndef AGENT_DEVICE_H
#define AGENT_DEVICE_H

#include <stdint.h>

extern int dev_fd;          /* the cdev, -1 when closed */
extern uint32_t dev_id;     /* out_devid of the bind, 0 while unbound */
extern uint32_t dev_pt;     /* the kernel id of the IOAS the device is attached to, 0 if none */

int dev_open(void);   /* opens the cdev (unbound); 0 or -1 (logged) */
void dev_close(void); /* unmaps BAR0 and closes the cdev: unbinds */

/* the ioctls: 0, or -1 with errno; a bound device whose BAR0 cannot be set up is -1 with
 * *fatal (an agent failure, not a kernel answer) */
int dev_bind(const char **fatal);
int dev_attach(uint32_t pt_id); /* dev_pt follows a successful attach and detach */
int dev_detach(void);
int dev_hw_info(uint32_t id, uint32_t *type, uint64_t *caps);

/* The DMA staging of dma.c (dma.h) for the iommufd family: the scratch reachable by the
 * device around a run of observations (begin / end, stage.h), and the device's own
 * translation during the observation itself (observe_begin / observe_end). */
int fd_stage_begin(void); /* 0, -1 with errno, or 1: the device reaches nothing, no DMA needed */
void fd_stage_end(void);
int fd_observe_begin(void);
int fd_observe_end(void);

#endif
