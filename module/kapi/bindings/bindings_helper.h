/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel headers famfs_rs needs beyond the kernel crate's own bindings
 * (6.12 has no Rust VFS, misc device, dax or iomap abstractions).
 * Which of their items are generated is set in bindgen_parameters.
 */
#include <linux/dax.h>
#include <linux/fiemap.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/iomap.h>
#include <linux/memremap.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include "../helpers.h"
#include "../dax_private/dax_private.h"
