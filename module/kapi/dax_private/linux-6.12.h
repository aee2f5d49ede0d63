/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Linux 6.12: the layouts of the dax bus structures famfs_rs reads or fills.
 * The kernel declares them in drivers/dax/bus.h and drivers/dax/dax-private.h,
 * which no headers package ships, so an out-of-tree dax driver must carry its
 * own copy. These mirror the 6.12 field order and types under famfs_rs names;
 * layout_check.c asserts each offset and size against the real headers
 * whenever the build sees a full kernel source tree.
 */
#ifndef FAMFS_RS_DAX_PRIVATE_LINUX_6_12_H
#define FAMFS_RS_DAX_PRIVATE_LINUX_6_12_H

#include <linux/device.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/range.h>

#define FAMFS_RS_DAX_LAYOUT "6.12"

struct famfs_rs_dev_dax;

/* The bus's driver structure (drivers/dax/bus.h, struct dax_device_driver). */
struct famfs_rs_dax_device_driver {
	struct device_driver drv;
	struct list_head ids;		/* names written to new_id; the bus's */
	unsigned int type;		/* enum dax_driver_type */
	int (*probe)(struct famfs_rs_dev_dax *dev_dax);
	void (*remove)(struct famfs_rs_dev_dax *dev_dax);
};

/* One physically contiguous piece of a dax device (struct dev_dax_range). */
struct famfs_rs_dev_dax_range {
	unsigned long pgoff;		/* first page of this piece in the device */
	struct range range;		/* physical span, inclusive end */
	void *mapping;			/* struct dax_mapping *, unused here */
};

/* A dax device on the bus (drivers/dax/dax-private.h, struct dev_dax). */
struct famfs_rs_dev_dax {
	void *region;			/* struct dax_region * */
	void *dax_dev;			/* struct dax_device *, the bus's own */
	unsigned int align;
	int target_node;
	bool dyn_id;
	int id;
	struct ida ida;
	struct device dev;
	struct dev_pagemap *pgmap;	/* static regions: preset; else the driver's */
	bool memmap_on_memory;
	int nr_range;
	struct famfs_rs_dev_dax_range *ranges;
};

#endif
