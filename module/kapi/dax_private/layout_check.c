// SPDX-License-Identifier: GPL-2.0
/*
 * Build-time proof that the pinned dax bus layouts (dax_private.h) match the
 * kernel being built against. Compiled only when the kernel tree has
 * drivers/dax (a full source tree, not a headers package); it emits no code.
 */
#define FAMFS_RS_LAYOUT_CHECK
#include <linux/stddef.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include "bus.h"
#include "dax-private.h"
#include "dax_private.h"

#define SAME_FIELD(ours, theirs, field)                                         \
	_Static_assert(offsetof(struct ours, field) == offsetof(struct theirs, field) && \
		       sizeof_field(struct ours, field) == sizeof_field(struct theirs, field), \
		       "famfs_rs: pinned " #theirs "." #field " differs from the kernel's; " \
		       "update module/kapi/dax_private/linux-" FAMFS_RS_DAX_LAYOUT ".h")
#define SAME_SIZE(ours, theirs)                                                 \
	_Static_assert(sizeof(struct ours) == sizeof(struct theirs),           \
		       "famfs_rs: pinned struct " #theirs " differs in size from the kernel's")

SAME_FIELD(famfs_rs_dax_device_driver, dax_device_driver, drv);
SAME_FIELD(famfs_rs_dax_device_driver, dax_device_driver, ids);
SAME_FIELD(famfs_rs_dax_device_driver, dax_device_driver, type);
SAME_FIELD(famfs_rs_dax_device_driver, dax_device_driver, probe);
SAME_FIELD(famfs_rs_dax_device_driver, dax_device_driver, remove);
SAME_SIZE(famfs_rs_dax_device_driver, dax_device_driver);

SAME_FIELD(famfs_rs_dev_dax_range, dev_dax_range, pgoff);
SAME_FIELD(famfs_rs_dev_dax_range, dev_dax_range, range);
SAME_FIELD(famfs_rs_dev_dax_range, dev_dax_range, mapping);
SAME_SIZE(famfs_rs_dev_dax_range, dev_dax_range);

SAME_FIELD(famfs_rs_dev_dax, dev_dax, region);
SAME_FIELD(famfs_rs_dev_dax, dev_dax, dax_dev);
SAME_FIELD(famfs_rs_dev_dax, dev_dax, align);
SAME_FIELD(famfs_rs_dev_dax, dev_dax, target_node);
SAME_FIELD(famfs_rs_dev_dax, dev_dax, dyn_id);
SAME_FIELD(famfs_rs_dev_dax, dev_dax, id);
SAME_FIELD(famfs_rs_dev_dax, dev_dax, ida);
SAME_FIELD(famfs_rs_dev_dax, dev_dax, dev);
SAME_FIELD(famfs_rs_dev_dax, dev_dax, pgmap);
SAME_FIELD(famfs_rs_dev_dax, dev_dax, memmap_on_memory);
SAME_FIELD(famfs_rs_dev_dax, dev_dax, nr_range);
SAME_FIELD(famfs_rs_dev_dax, dev_dax, ranges);
SAME_SIZE(famfs_rs_dev_dax, dev_dax);

/* The driver type famfs_rs uses must be one the bus never matches by type. */
_Static_assert(FAMFS_RS_DAXDRV_ID_ONLY != DAXDRV_KMEM_TYPE &&
	       FAMFS_RS_DAXDRV_ID_ONLY != DAXDRV_DEVICE_TYPE,
	       "famfs_rs: FAMFS_RS_DAXDRV_ID_ONLY is a real dax driver type");
_Static_assert(sizeof(enum dax_driver_type) == sizeof(unsigned int),
	       "famfs_rs: enum dax_driver_type is not int-sized");

/* The exported functions dax_private.h redeclares on the pinned types. */
#define SAME_PROTO(fn, type)                                                    \
	_Static_assert(__builtin_types_compatible_p(typeof(&fn), type),        \
		       "famfs_rs: the kernel's " #fn "() has another prototype")
SAME_PROTO(__dax_driver_register,
	   int (*)(struct dax_device_driver *, struct module *, const char *));
SAME_PROTO(dax_driver_unregister, void (*)(struct dax_device_driver *));
SAME_PROTO(static_dev_dax, bool (*)(struct dev_dax *));
