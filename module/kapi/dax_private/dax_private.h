/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel-private dax bus structures famfs_rs's dax driver needs, pinned
 * per supported kernel version (see Documentation/famfs_rs.rst, "dax
 * driver"). A kernel with no pinned layout fails the build here rather than
 * running a driver against guessed offsets.
 */
#ifndef FAMFS_RS_DAX_PRIVATE_H
#define FAMFS_RS_DAX_PRIVATE_H

#include <linux/version.h>

#if defined(FAMFS_RS_FSDEV_DAX)
/* 7.1+: the kernel's fsdev_dax driver is used; nothing private is needed. */
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
#include "linux-6.12.h"
#else
#error "famfs_rs: no pinned dax bus layout for this kernel version; add module/kapi/dax_private/linux-X.Y.h (Documentation/famfs_rs.rst, dax driver)"
#endif

#if !defined(FAMFS_RS_FSDEV_DAX) && !defined(FAMFS_RS_LAYOUT_CHECK)
/*
 * Exported by drivers/dax/bus.c, declared here on the pinned types (the
 * layout check asserts the kernel's own prototypes instead).
 */
int __dax_driver_register(struct famfs_rs_dax_device_driver *dax_drv,
			  struct module *module, const char *mod_name);
void dax_driver_unregister(struct famfs_rs_dax_device_driver *dax_drv);
bool static_dev_dax(struct famfs_rs_dev_dax *dev_dax);
#endif

/*
 * A driver type the bus never matches by type (it knows DEVICE and KMEM
 * only): the bus then offers the driver only the devices named in its
 * new_id list, so famfs_rs is never probed for a device nobody asked it to
 * take.
 */
#define FAMFS_RS_DAXDRV_ID_ONLY 2U
#endif
