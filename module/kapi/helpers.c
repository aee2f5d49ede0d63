// SPDX-License-Identifier: GPL-2.0
/* One-line wrappers of static inlines and macros; see helpers.h. */
#include "helpers.h"
#include <linux/cdev.h>
#include <linux/delay.h>
#include <linux/libnvdimm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/wait_bit.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

/* Here, not in module!: its author key was renamed (authors) after 6.12. */
MODULE_AUTHOR("famfs_rs developers");

loff_t famfs_rs_i_size_read(const struct inode *inode) { return i_size_read(inode); }
void famfs_rs_poll_wait(struct file *f, struct wait_queue_head *wq, struct poll_table_struct *p) { poll_wait(f, wq, p); }
void famfs_rs_init_waitqueue_head(struct wait_queue_head *wq) { init_waitqueue_head(wq); }
void famfs_rs_init_completion(struct completion *c) { init_completion(c); }
void famfs_rs_i_size_write(struct inode *inode, loff_t size) { i_size_write(inode, size); }
kuid_t famfs_rs_make_kuid(uid_t uid) { return make_kuid(&init_user_ns, uid); }
kgid_t famfs_rs_make_kgid(gid_t gid) { return make_kgid(&init_user_ns, gid); }
void famfs_rs_fc_init(struct fs_context *fc, const struct fs_context_operations *ops, void *priv) { fc->ops = ops; fc->fs_private = priv; }
void *famfs_rs_fc_private(struct fs_context *fc) { return fc->fs_private; }
void *famfs_rs_fc_take_private(struct fs_context *fc) { void *p = fc->fs_private; fc->fs_private = NULL; return p; }
const char *famfs_rs_param_key(const struct fs_parameter *p) { return p->key; }
const char *famfs_rs_param_string(const struct fs_parameter *p) { return p->type == fs_value_is_string ? p->string : NULL; }
void famfs_rs_statfs_fill(struct kstatfs *st, long type, long bsize, u64 blocks, u64 bfree, u64 files, u64 ffree, long namelen) { *st = (struct kstatfs){ .f_type = type, .f_bsize = bsize, .f_frsize = bsize, .f_blocks = blocks, .f_bfree = bfree, .f_bavail = bfree, .f_files = files, .f_ffree = ffree, .f_namelen = namelen }; }
bool famfs_rs_log_ratelimit(void) { static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 10); return __ratelimit(&rs); }
uid_t famfs_rs_current_fsuid(void) { return from_kuid(&init_user_ns, current_fsuid()); }
gid_t famfs_rs_current_fsgid(void) { return from_kgid(&init_user_ns, current_fsgid()); }
pid_t famfs_rs_current_tgid(void) { return task_tgid_vnr(current); }
unsigned long famfs_rs_jiffies(void) { return jiffies; }
unsigned int famfs_rs_hz(void) { return HZ; }
bool famfs_rs_dir_emit(struct dir_context *ctx, const char *name, int len, u64 ino, unsigned int type) { return dir_emit(ctx, name, len, ino, type); }
bool famfs_rs_sb_active(const struct super_block *sb) { return sb->s_flags & SB_ACTIVE; }
bool famfs_rs_sb_get_active(struct super_block *sb) { return atomic_inc_not_zero(&sb->s_active); }
bool famfs_rs_sb_put_active_unless_last(struct super_block *sb) { return atomic_add_unless(&sb->s_active, -1, 1); }
struct workqueue_struct *famfs_rs_alloc_workqueue(const char *name) { return alloc_workqueue("%s", WQ_UNBOUND, 0, name); }
#ifndef FAMFS_RS_FSDEV_DAX
pfn_t famfs_rs_dax_pfn(phys_addr_t phys) { return phys_to_pfn_t(phys, PFN_DEV | PFN_MAP); }
void *famfs_rs_phys_to_virt(phys_addr_t phys) { return phys_to_virt(phys); }
const char *famfs_rs_dev_name(struct device *dev) { return dev_name(dev); }
void *famfs_rs_devm_kzalloc(struct device *dev, size_t size) { return devm_kzalloc(dev, size, GFP_KERNEL); }
long famfs_rs_first_held_page(unsigned long pfn, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		if (page_ref_count(pfn_to_page(pfn + i)) > 1)
			return i;
		if ((i & 0xffff) == 0xffff)
			cond_resched();
	}
	return -1;
}
long famfs_rs_wait_page_let_go(unsigned long pfn, long timeout, bool killable)
{
	struct page *page = pfn_to_page(pfn);
	long __ret = timeout;

	might_sleep();
	if (___wait_cond_timeout(page_ref_count(page) <= 1))
		return __ret;
	return ___wait_var_event(&page->_refcount,
				 ___wait_cond_timeout(page_ref_count(page) <= 1),
				 killable ? TASK_KILLABLE : TASK_UNINTERRUPTIBLE, 0, timeout,
				 __ret = schedule_timeout(__ret));
}
/* drivers/dax/super.c, 6.12: inode, cdev, private, flags, ... */
struct famfs_rs_dax_device_head {
	struct inode inode;
	struct cdev cdev;
	void *private;
	unsigned long flags;
};
unsigned long famfs_rs_dax_flags(struct dax_device *dax_dev, void **private)
{
	const struct famfs_rs_dax_device_head *head = (const void *)dax_dev;

	*private = READ_ONCE(head->private);
	return READ_ONCE(head->flags);
}
#endif
const unsigned char *famfs_rs_dentry_name(const struct dentry *dentry, unsigned int *len) { *len = dentry->d_name.len; return dentry->d_name.name; }
u64 famfs_rs_file_parent_ino(struct file *file) { return d_parent_ino(file->f_path.dentry); }
#ifdef FAMFS_RS_SET_DEFAULT_D_OP
void famfs_rs_set_default_d_op(struct super_block *sb, const struct dentry_operations *ops) { set_default_d_op(sb, ops); }
#else
void famfs_rs_set_default_d_op(struct super_block *sb, const struct dentry_operations *ops) { sb->s_d_op = ops; }
#endif
#ifdef FAMFS_RS_FSDEV_DAX
bool famfs_rs_page_map_in_device(unsigned long pfn)
{
	struct dev_pagemap *pgmap = get_dev_pagemap(pfn);
	bool in_device;

	if (!pgmap)
		return false;
	in_device = pgmap->flags & PGMAP_ALTMAP_VALID;
	put_dev_pagemap(pgmap);
	return in_device;
}
#endif
#ifdef FAMFS_RS_DAX_BREAK_LAYOUT
void famfs_rs_dax_delete_entries(struct address_space *mapping) { dax_delete_mapping_range(mapping, 0, LLONG_MAX); }
void famfs_rs_dax_break_layout_final(struct inode *inode) { dax_break_layout_final(inode); }
void famfs_rs_dax_forget_entries(struct address_space *mapping) { }
void famfs_rs_dax_wait_unheld(struct address_space *mapping)
{
	unsigned int naps = 0;

	while (dax_layout_busy_page(mapping)) {
		filemap_invalidate_unlock(mapping);
		msleep(10);
		if (++naps % 500 == 0)
			pr_warn_ratelimited("famfs_rs: node %lu: its device's removal waits for a page still held (a pipe that took it with vmsplice, or a pinned buffer)\n",
					    mapping->host->i_ino);
		filemap_invalidate_lock(mapping);
	}
}
#else
void famfs_rs_dax_wait_unheld(struct address_space *mapping) { }
void famfs_rs_dax_delete_entries(struct address_space *mapping) { }
void famfs_rs_dax_forget_entries(struct address_space *mapping)
{
	XA_STATE(xas, &mapping->i_pages, 0);
	unsigned int seen = 0;
	void *entry;

	xas_lock_irq(&xas);
	xas_for_each(&xas, entry, ULONG_MAX) {
		xas_clear_mark(&xas, PAGECACHE_TAG_DIRTY);
		xas_clear_mark(&xas, PAGECACHE_TAG_TOWRITE);
		if (++seen % XA_CHECK_SCHED)
			continue;
		xas_pause(&xas);
		xas_unlock_irq(&xas);
		cond_resched();
		xas_lock_irq(&xas);
	}
	xas_unlock_irq(&xas);
	invalidate_inode_pages2(mapping);
}
void famfs_rs_dax_break_layout_final(struct inode *inode) { }
#endif
#ifdef FAMFS_RS_INODE_STATE_ACCESSORS
bool famfs_rs_inode_is_new(struct inode *inode) { return inode_state_read_once(inode) & I_NEW; }
#else
bool famfs_rs_inode_is_new(struct inode *inode) { return inode->i_state & I_NEW; }
#endif
const struct iomap_ops famfs_rs_iomap_ops = { .iomap_begin = famfs_rs_iomap_begin };
void famfs_rs_inode_lock(struct inode *inode) { inode_lock(inode); }
void famfs_rs_inode_unlock(struct inode *inode) { inode_unlock(inode); }
void famfs_rs_inode_lock_shared(struct inode *inode) { inode_lock_shared(inode); }
void famfs_rs_inode_unlock_shared(struct inode *inode) { inode_unlock_shared(inode); }
size_t famfs_rs_iov_iter_count(const struct iov_iter *i) { return iov_iter_count(i); }
void famfs_rs_iov_iter_truncate(struct iov_iter *i, size_t count) { iov_iter_truncate(i, count); }
void famfs_rs_vm_flags_set(struct vm_area_struct *vma, unsigned long flags) { vm_flags_set(vma, flags); }
vm_fault_t famfs_rs_vm_fault_error(void) { return VM_FAULT_ERROR; }
bool famfs_rs_inode_trylock(struct inode *inode) { return inode_trylock(inode); }
bool famfs_rs_inode_trylock_shared(struct inode *inode) { return inode_trylock_shared(inode); }
bool famfs_rs_iocb_nowait(const struct kiocb *iocb) { return iocb->ki_flags & IOCB_NOWAIT; }
void famfs_rs_file_set_dax_modes(struct file *file) { file->f_mode |= FMODE_CAN_ODIRECT | FMODE_NOWAIT; }
void famfs_rs_invalidate_lock(struct address_space *mapping) { filemap_invalidate_lock(mapping); }
void famfs_rs_invalidate_unlock(struct address_space *mapping) { filemap_invalidate_unlock(mapping); }
void famfs_rs_invalidate_lock_shared(struct address_space *mapping) { filemap_invalidate_lock_shared(mapping); }
void famfs_rs_invalidate_unlock_shared(struct address_space *mapping) { filemap_invalidate_unlock_shared(mapping); }
void famfs_rs_pmem_wmb(void) { pmem_wmb(); }
void famfs_rs_mapping_set_error(struct address_space *mapping, int error) { mapping_set_error(mapping, error); }
ssize_t famfs_rs_generic_write_sync(struct kiocb *iocb, ssize_t count) { return generic_write_sync(iocb, count); }
size_t famfs_rs_raw_copy_to_iter(void *addr, size_t bytes, struct iov_iter *i)
{
	size_t n;

#ifdef CONFIG_ARCH_HAS_PMEM_API
	arch_invalidate_pmem(addr, bytes);
#endif
	pagefault_disable();
	n = _copy_mc_to_iter(addr, bytes, i);
	pagefault_enable();
	return n;
}
size_t famfs_rs_raw_copy_from_iter(void *addr, size_t bytes, struct iov_iter *i)
{
	size_t n;

	pagefault_disable();
	n = _copy_from_iter_flushcache(addr, bytes, i);
	pagefault_enable();
	return n;
}
size_t famfs_rs_iov_iter_fault_in(struct iov_iter *i, size_t bytes, bool to_user)
{
	return to_user ? fault_in_iov_iter_writeable(i, bytes) : fault_in_iov_iter_readable(i, bytes);
}
