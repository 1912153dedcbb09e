/* iommufd.c - /dev/iommu and one device's VFIO cdev, named on the command line, and the IOAS
 * and cdev ioctls as the suite's iommufd operations (spec/iommufd/ops.ts). The uAPI the
 * emitter puts before this file declares what an older linux-libc-dev lacks. */

#define TARGET_USAGE "--cdev /dev/vfio/devices/vfioN   (the device's VFIO cdev: /sys/bus/pci/devices/BDF/vfio-dev/vfioN)"
#define MAX_IOAS 4

static char cdev_path[256];
static int iommufd = -1, dev_fd = -1;
static uint32_t dev_id;
/* the kernel's id behind each of the suite's IOAS handles; 0 names no object (iommufd never
 * allocates it), so a dead handle reaches the kernel's own lookup */
static uint32_t ioas_ids[MAX_IOAS];

static int target_arg(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[0], "--cdev")) return 0;
	snprintf(cdev_path, sizeof cdev_path, "%s", argv[1]);
	return 2;
}

static int target_missing(void) { return !cdev_path[0]; }

static void fd_close(void)
{
	if (dev_fd >= 0) close(dev_fd);
	if (iommufd >= 0) close(iommufd);
	dev_fd = iommufd = -1;
	dev_id = 0;
	memset(ioas_ids, 0, sizeof ioas_ids);
}

/* The context as the suite's reset leaves it: no object, the device's cdev open and unbound. */
static int fd_open(void)
{
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0) return refuse("open /dev/iommu: %s (CONFIG_IOMMUFD?)", strerror(errno));
	dev_fd = open(cdev_path, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0) return refuse("open %s: %s (CONFIG_VFIO_DEVICE_CDEV? bound to vfio-pci?)", cdev_path, strerror(errno));
	return 0;
}

static uint32_t ioas_id(int h) { return h >= 0 && h < MAX_IOAS ? ioas_ids[h] : 0; }

static int fd_ioas_alloc(struct res *r, int h)
{
	struct iommu_ioas_alloc a = { .size = sizeof a };
	if (answer(r, ioctl(iommufd, IOMMU_IOAS_ALLOC, &a))) return r->err;
	ioas_ids[h] = a.out_ioas_id;
	return 0;
}

static int fd_destroy(struct res *r, int h)
{
	struct iommu_destroy d = { .size = sizeof d, .id = ioas_id(h) };
	if (answer(r, ioctl(iommufd, IOMMU_DESTROY, &d))) return r->err;
	ioas_ids[h] = 0;
	return 0;
}

static int fd_map(struct res *r, int h, uint32_t flags, uint64_t iova, uint64_t vaddr, uint64_t length)
{
	struct iommu_ioas_map m = { .size = sizeof m, .flags = flags, .ioas_id = ioas_id(h), .user_va = vaddr, .length = length, .iova = iova };
	if (answer(r, ioctl(iommufd, IOMMU_IOAS_MAP, &m))) return r->err;
	r->v[0] = m.iova;
	append(r, " iova=0x%" PRIx64, r->v[0]);
	return 0;
}

static int fd_unmap(struct res *r, int h, uint64_t iova, uint64_t length)
{
	struct iommu_ioas_unmap u = { .size = sizeof u, .ioas_id = ioas_id(h), .iova = iova, .length = length };
	if (answer(r, ioctl(iommufd, IOMMU_IOAS_UNMAP, &u))) return r->err;
	r->v[0] = u.length;
	append(r, " unmapped=0x%" PRIx64, r->v[0]);
	return 0;
}

static int fd_copy(struct res *r, int dst, int src, uint32_t flags, uint64_t dst_iova, uint64_t src_iova, uint64_t length)
{
	struct iommu_ioas_copy c = { .size = sizeof c, .flags = flags, .dst_ioas_id = ioas_id(dst), .src_ioas_id = ioas_id(src),
				     .length = length, .dst_iova = dst_iova, .src_iova = src_iova };
	if (answer(r, ioctl(iommufd, IOMMU_IOAS_COPY, &c))) return r->err;
	r->v[0] = c.dst_iova;
	append(r, " iova=0x%" PRIx64, r->v[0]);
	return 0;
}

static int fd_iova_ranges(struct res *r, int h)
{
	struct iommu_iova_range buf[REPRO_MAX_RANGES];
	struct iommu_ioas_iova_ranges q = { .size = sizeof q, .ioas_id = ioas_id(h), .num_iovas = REPRO_MAX_RANGES,
					    .allowed_iovas = (uint64_t)(uintptr_t)buf };
	if (answer(r, ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &q))) return r->err;
	append(r, " ranges=");
	for (uint32_t i = 0; i < q.num_iovas && i < REPRO_MAX_RANGES; i++) {
		r->ranges[i][0] = buf[i].start;
		r->ranges[i][1] = buf[i].last;
		r->nranges++;
		append(r, "%s[0x%" PRIx64 ", 0x%" PRIx64 "]", i ? "," : "", buf[i].start, buf[i].last);
	}
	r->v[0] = q.out_iova_alignment;
	append(r, " alignment=0x%" PRIx64, r->v[0]);
	return 0;
}

static int fd_allow_iovas(struct res *r, int h, const uint64_t (*ranges)[2], int n)
{
	struct iommu_iova_range buf[REPRO_MAX_RANGES];
	for (int i = 0; i < n && i < REPRO_MAX_RANGES; i++) {
		buf[i].start = ranges[i][0];
		buf[i].last = ranges[i][1];
	}
	struct iommu_ioas_allow_iovas a = { .size = sizeof a, .ioas_id = ioas_id(h), .num_iovas = (uint32_t)n,
					    .allowed_iovas = (uint64_t)(uintptr_t)buf };
	return answer(r, ioctl(iommufd, IOMMU_IOAS_ALLOW_IOVAS, &a));
}

static int fd_rlimit_mode(struct res *r, int set, uint64_t val)
{
	struct iommu_option o = { .size = sizeof o, .option_id = IOMMU_OPTION_RLIMIT_MODE,
				  .op = set ? IOMMU_OPTION_OP_SET : IOMMU_OPTION_OP_GET, .val64 = set ? val : 0 };
	if (answer(r, ioctl(iommufd, IOMMU_OPTION, &o)) || set) return r->err;
	r->v[0] = o.val64;
	append(r, " value=0x%" PRIx64, r->v[0]);
	return 0;
}

static int fd_bind(struct res *r)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof b, .iommufd = iommufd };
	if (answer(r, ioctl(dev_fd, VFIO_DEVICE_BIND_IOMMUFD, &b))) return r->err;
	dev_id = b.out_devid;
	return 0;
}

/* on an attached device this is a replace (drivers/vfio/device_cdev.c: vfio_df_ioctl_attach_pt) */
static int fd_attach(struct res *r, int h)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof a, .pt_id = ioas_id(h) };
	return answer(r, ioctl(dev_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a));
}

static int fd_detach(struct res *r)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof d };
	return answer(r, ioctl(dev_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d));
}

static int fd_hw_info(struct res *r)
{
	struct iommu_hw_info h = { .size = sizeof h, .dev_id = dev_id };
	if (answer(r, ioctl(iommufd, IOMMU_GET_HW_INFO, &h))) return r->err;
	r->v[0] = h.out_data_type;
	r->v[1] = h.out_capabilities;
	append(r, " dataType=%u capabilities=0x%" PRIx64, h.out_data_type, r->v[1]);
	return 0;
}

/* closeCtx: the device fd and the iommufd closed (every object, pin and charge returned), then
 * fresh ones */
static int fd_close_ctx(struct res *r)
{
	fd_close();
	answer(r, 0);
	return fd_open();
}

static int fd_counters(struct res *r)
{
	int64_t lck = status_pages("VmLck:"), pin = status_pages("VmPin:");
	if (lck < 0 || pin < 0) { errno = EIO; return answer(r, -1); }
	answer(r, 0);
	r->v[0] = (uint64_t)lck;
	r->v[1] = (uint64_t)pin;
	append(r, " lockedVm=0x%" PRIx64 " pinnedVm=0x%" PRIx64, r->v[0], r->v[1]);
	return 0;
}
