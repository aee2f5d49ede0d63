// SPDX-License-Identifier: GPL-2.0
/*
 * Static inline functions and macros that bindgen cannot turn into calls,
 * one line each, named famfs_rs_<what they wrap>.
 */
#include <linux/fs.h>

loff_t famfs_rs_i_size_read(const struct inode *inode);
loff_t famfs_rs_i_size_read(const struct inode *inode) { return i_size_read(inode); }
