/* uapi.h - the iommufd uAPI and the VFIO device cdev ioctls the agent uses.
 *
 * Debian bookworm's linux-libc-dev (6.1) has no linux/iommufd.h (added in 6.2) and its
 * linux/vfio.h lacks VFIO_DEVICE_BIND_IOMMUFD / ATTACH_IOMMUFD_PT / DETACH_IOMMUFD_PT (6.6).
 * What is missing is declared here from include/uapi/linux/iommufd.h and
 * include/uapi/linux/vfio.h of Linux 6.12 (the guest kernel): same layouts, same numbers.
 * A system header that has them wins (the guards below). */
#ifndef AGENT_UAPI_H
#define AGENT_UAPI_H

#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif

#define AGENT_A64 __attribute__((aligned(8))) /* __aligned_u64 */

#ifndef IOMMU_IOAS_ALLOC
/* include/uapi/linux/iommufd.h: IOMMUFD_TYPE ';', commands from IOMMUFD_CMD_BASE 0x80 */
#define IOMMUFD_TYPE (';')

struct iommu_destroy { uint32_t size, id; };
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, 0x80)

struct iommu_ioas_alloc { uint32_t size, flags, out_ioas_id; };
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, 0x81)

struct iommu_iova_range { uint64_t start AGENT_A64, last AGENT_A64; };

struct iommu_ioas_allow_iovas {
	uint32_t size, ioas_id, num_iovas, __reserved;
	uint64_t allowed_iovas AGENT_A64; /* struct iommu_iova_range * */
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, 0x82)

struct iommu_ioas_copy {
	uint32_t size, flags, dst_ioas_id, src_ioas_id;
	uint64_t length AGENT_A64, dst_iova AGENT_A64, src_iova AGENT_A64;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, 0x83)

struct iommu_ioas_iova_ranges {
	uint32_t size, ioas_id, num_iovas, __reserved;
	uint64_t allowed_iovas AGENT_A64, out_iova_alignment AGENT_A64;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, 0x84)

enum { IOMMU_IOAS_MAP_FIXED_IOVA = 1, IOMMU_IOAS_MAP_WRITEABLE = 2, IOMMU_IOAS_MAP_READABLE = 4 };
struct iommu_ioas_map {
	uint32_t size, flags, ioas_id, __reserved;
	uint64_t user_va AGENT_A64, length AGENT_A64, iova AGENT_A64;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, 0x85)

struct iommu_ioas_unmap {
	uint32_t size, ioas_id;
	uint64_t iova AGENT_A64, length AGENT_A64;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, 0x86)

enum { IOMMU_OPTION_RLIMIT_MODE = 0 };
enum { IOMMU_OPTION_OP_SET = 0, IOMMU_OPTION_OP_GET = 1 };
struct iommu_option {
	uint32_t size, option_id;
	uint16_t op, __reserved;
	uint32_t object_id;
	uint64_t val64 AGENT_A64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, 0x87)

struct iommu_hw_info {
	uint32_t size, flags, dev_id, data_len;
	uint64_t data_uptr AGENT_A64;
	uint32_t out_data_type;
	uint8_t out_max_pasid_log2, __reserved[3];
	uint64_t out_capabilities AGENT_A64;
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, 0x8a)
#endif

#ifndef VFIO_DEVICE_BIND_IOMMUFD
/* include/uapi/linux/vfio.h: the device cdev's iommufd ioctls, VFIO_BASE + 18 .. 20 */
struct vfio_device_bind_iommufd { uint32_t argsz, flags; int32_t iommufd; uint32_t out_devid; };
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
struct vfio_device_attach_iommufd_pt { uint32_t argsz, flags, pt_id; };
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
struct vfio_device_detach_iommufd_pt { uint32_t argsz, flags; };
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)
#endif

#endif
