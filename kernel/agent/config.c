/* config.c - reads the kernel command line and finds the port, the edu device and the
 * virtio-iommu's interrupt name in sysfs. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

int family_iommufd;
int profile_v1;
char port_path[256];
char viommu_irq_name[64];
char bdf[256];
char mmio_bdf[256];
char iommu_name[64] = "unknown";
char kernel_name[64] = "unknown";
long poll_us = 100000;
long hugepages = 64;

void parse_cmdline(void)
{
	char buf[4096];
	if (read_file("/proc/cmdline", buf, sizeof buf) < 0) return;
	for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n")) {
		if (!strcmp(t, "agent.profile=v1")) profile_v1 = 1;
		else if (!strcmp(t, "agent.family=iommufd")) family_iommufd = 1;
		else if (!strncmp(t, "agent.port=", 11)) snprintf(port_path, sizeof port_path, "%s", t + 11);
		else if (!strncmp(t, "agent.bdf=", 10)) snprintf(bdf, sizeof bdf, "%s", t + 10);
		else if (!strncmp(t, "agent.mmio=", 11)) snprintf(mmio_bdf, sizeof mmio_bdf, "%s", t + 11);
		else if (!strncmp(t, "agent.iommu=", 12)) snprintf(iommu_name, sizeof iommu_name, "%s", t + 12);
		else if (!strncmp(t, "agent.kernel=", 13)) snprintf(kernel_name, sizeof kernel_name, "%s", t + 13);
		else if (!strncmp(t, "agent.hugepages=", 16)) hugepages = atol(t + 16);
		else if (!strncmp(t, "agent.poll=", 11)) poll_us = atol(t + 11);
	}
}

void find_names(void)
{
	DIR *d = opendir("/sys/bus/virtio/drivers/virtio_iommu");
	struct dirent *e;
	if (d) {
		while ((e = readdir(d)))
			if (!strncmp(e->d_name, "virtio", 6)) snprintf(viommu_irq_name, sizeof viommu_irq_name, "%.32s", e->d_name);
		closedir(d);
	}
	if (port_path[0]) return;
	snprintf(port_path, sizeof port_path, "/dev/vport0p1");
	d = opendir("/sys/class/virtio-ports");
	if (!d) return;
	while ((e = readdir(d))) {
		char p[512], n[128];
		if (e->d_name[0] == '.') continue;
		snprintf(p, sizeof p, "/sys/class/virtio-ports/%.200s/name", e->d_name);
		if (read_file(p, n, sizeof n) < 0) continue;
		if (!strncmp(n, PORT_NAME "\n", strlen(PORT_NAME) + 1)) snprintf(port_path, sizeof port_path, "/dev/%.200s", e->d_name);
	}
	closedir(d);
}

/* the first PCI device with that vendor and device id, into out; 0, or -1 if there is none */
static int find_pci(const char *vendor, const char *device, char *out, size_t n)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	if (!d) return -1;
	struct dirent *e;
	int found = -1;
	while ((e = readdir(d))) {
		char p[512], v[32], dv[32];
		if (e->d_name[0] == '.') continue;
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if (read_file(p, v, sizeof v) < 0) continue;
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/device", e->d_name);
		if (read_file(p, dv, sizeof dv) < 0) continue;
		if (!strncmp(v, vendor, 6) && !strncmp(dv, device, 6)) {
			snprintf(out, n, "%s", e->d_name);
			found = 0;
			break;
		}
	}
	closedir(d);
	return found;
}

int find_edu(void)
{
	if (bdf[0]) return 0;
	return find_pci(EDU_VENDOR, EDU_DEVICE, bdf, sizeof bdf);
}

void find_mmio(void)
{
	if (!strcmp(mmio_bdf, "none")) mmio_bdf[0] = 0;
	else if (!mmio_bdf[0]) find_pci(MMIO_VENDOR, MMIO_DEVICE, mmio_bdf, sizeof mmio_bdf);
}
