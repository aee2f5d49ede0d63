/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Static inline functions and macros that bindgen cannot turn into calls,
 * wrapped one line each in helpers.c. Named famfs_rs_<what they wrap>;
 * bindgen reads this header (bindings/bindings_helper.h) for the Rust side.
 */
#ifndef FAMFS_RS_HELPERS_H
#define FAMFS_RS_HELPERS_H

#include <linux/completion.h>
#include <linux/dax.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/cred.h>
#include <linux/jiffies.h>
#include <linux/poll.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/statfs.h>
#include <linux/uidgid.h>

loff_t famfs_rs_i_size_read(const struct inode *inode);
void famfs_rs_poll_wait(struct file *f, struct wait_queue_head *wq, struct poll_table_struct *p);
void famfs_rs_init_waitqueue_head(struct wait_queue_head *wq);
void famfs_rs_init_completion(struct completion *c);
void famfs_rs_i_size_write(struct inode *inode, loff_t size);
kuid_t famfs_rs_make_kuid(uid_t uid);
kgid_t famfs_rs_make_kgid(gid_t gid);

/* struct fs_context, fs_parameter and kstatfs are opaque in kernel::bindings. */
void famfs_rs_fc_init(struct fs_context *fc, const struct fs_context_operations *ops, void *priv);
void *famfs_rs_fc_private(struct fs_context *fc);
void *famfs_rs_fc_take_private(struct fs_context *fc);
const char *famfs_rs_param_key(const struct fs_parameter *p);
const char *famfs_rs_param_string(const struct fs_parameter *p);
void famfs_rs_statfs_fill(struct kstatfs *st, long type, long bsize, u64 blocks, u64 bfree, u64 files, u64 ffree, long namelen);

/* Log rate limit for messages the daemon can provoke (one static state). */
bool famfs_rs_log_ratelimit(void);
/* Credentials of the caller, as FUSE puts them in a request header. */
uid_t famfs_rs_current_fsuid(void);
gid_t famfs_rs_current_fsgid(void);
pid_t famfs_rs_current_tgid(void);
unsigned long famfs_rs_jiffies(void);
unsigned int famfs_rs_hz(void);
bool famfs_rs_dir_emit(struct dir_context *ctx, const char *name, int len, u64 ino, unsigned int type);
bool famfs_rs_sb_active(const struct super_block *sb);
/* Active references to a super block (s_active), as the VFS takes them
 * (grab_super) and gives them back (deactivate_super) without being the
 * last: the last is given back with deactivate_super() itself. */
bool famfs_rs_sb_get_active(struct super_block *sb);
bool famfs_rs_sb_put_active_unless_last(struct super_block *sb);
/* A work queue of the module's own (alloc_workqueue() is variadic). */
#include <linux/workqueue.h>
struct workqueue_struct *famfs_rs_alloc_workqueue(const char *name);

/* famfs_rs's own dax driver (module/kapi/fsdax/, kernels without
 * fsdev_dax): pfns, kernel addresses, devices. */
#ifndef FAMFS_RS_FSDEV_DAX
#include <linux/device.h>
#include <linux/io.h>
#include <linux/pfn_t.h>
pfn_t famfs_rs_dax_pfn(phys_addr_t phys);
void *famfs_rs_phys_to_virt(phys_addr_t phys);
const char *famfs_rs_dev_name(struct device *dev);
void *famfs_rs_devm_kzalloc(struct device *dev, size_t size);
/* fs-dax page references (before 6.15 an idle fs-dax page holds one
 * reference, and the put that leaves one wakes its _refcount waiters):
 * the first of nr pages from pfn that someone holds (-1: none), and a
 * wait of at most timeout jiffies for one to be let go (> 0 idle, 0 still
 * held, -ERESTARTSYS fatal signal when killable). */
long famfs_rs_first_held_page(unsigned long pfn, unsigned long nr);
long famfs_rs_wait_page_let_go(unsigned long pfn, long timeout, bool killable);
/* The flags word of a dax device, through the 6.12 layout of the private
 * struct dax_device; NULL private data on a layout mismatch is the
 * caller's check (dax_private.h). */
unsigned long famfs_rs_dax_flags(struct dax_device *dax_dev, void **private);
#endif
#ifdef FAMFS_RS_FSDEV_DAX
/* Exported by drivers/dax/super.c but declared only in its private
 * dax-private.h: the inode (and so the node number) of a dax device. */
struct inode *dax_inode(struct dax_device *dax_dev);
/* Whether the page map of the device page at pfn is kept in the device
 * itself (an altmap: ndctl --map=dev). */
#include <linux/memremap.h>
bool famfs_rs_page_map_in_device(unsigned long pfn);
#endif
/* A dax mapping's entries go before it is truncated: since 6.15 the file
 * system removes them (probe DAX_BREAK_LAYOUT), before that truncation
 * did. famfs_rs_dax_break_layout_final() first waits until no page of the
 * inode is referenced (eviction). */
void famfs_rs_dax_delete_entries(struct address_space *mapping);
/* Before 6.15: drops every dax entry of a mapping without truncation's
 * warning about pages still referenced (a page a pipe took with vmsplice
 * outlives the entry; the device's teardown waits for it): the entries
 * lose their dirty marks first (written back before, or on a device that
 * is gone). The mapping must be unmapped with faults locked out. */
void famfs_rs_dax_forget_entries(struct address_space *mapping);
/* 6.15 and later: waits until no page of a mapping is held (the kernel's
 * busy-page scan sees held pages of unmapped files there), letting go of
 * the invalidate lock, which the caller holds exclusively, while asleep;
 * the caller fenced the device, so no fault maps a page back in. */
void famfs_rs_dax_wait_unheld(struct address_space *mapping);
void famfs_rs_dax_break_layout_final(struct inode *inode);
/* Whether iget_locked() returned a new inode (I_NEW): inode state moved
 * behind accessors in 6.18 (probe INODE_STATE_ACCESSORS). */
bool famfs_rs_inode_is_new(struct inode *inode);
/* A dentry's name (d_name moved into a union in 6.18). */
#include <linux/dcache.h>
const unsigned char *famfs_rs_dentry_name(const struct dentry *dentry, unsigned int *len);
/* The node number of an open file's parent directory (f_path moved into
 * a union in 6.18). */
u64 famfs_rs_file_parent_ino(struct file *file);
/* The super block's default dentry operations (set_default_d_op(), 6.17+;
 * probe SET_DEFAULT_D_OP). */
void famfs_rs_set_default_d_op(struct super_block *sb, const struct dentry_operations *ops);
/* Constants bindgen cannot read (BIT() macros, enum members). */
#include <linux/namei.h>
enum famfs_rs_consts {
	FAMFS_RS_LOOKUP_RCU = LOOKUP_RCU,
	FAMFS_RS_MF_MEM_PRE_REMOVE = MF_MEM_PRE_REMOVE,
	FAMFS_RS_FMODE_WRITE = (__force int)FMODE_WRITE,
};

/* The fs-dax data path (module/kapi/vfs/dax.rs). struct iomap_ops is opaque in
 * the 6.12 kernel crate, so its table lives here and points at Rust. */
#include <linux/iomap.h>
#include <linux/mm.h>
#include <linux/uio.h>
int famfs_rs_iomap_begin(struct inode *inode, loff_t pos, loff_t length, unsigned int flags, struct iomap *iomap, struct iomap *srcmap);
extern const struct iomap_ops famfs_rs_iomap_ops;
void famfs_rs_inode_lock(struct inode *inode);
void famfs_rs_inode_unlock(struct inode *inode);
void famfs_rs_inode_lock_shared(struct inode *inode);
void famfs_rs_inode_unlock_shared(struct inode *inode);
size_t famfs_rs_iov_iter_count(const struct iov_iter *i);
void famfs_rs_iov_iter_truncate(struct iov_iter *i, size_t count);
void famfs_rs_vm_flags_set(struct vm_area_struct *vma, unsigned long flags);
vm_fault_t famfs_rs_vm_fault_error(void);
/* file_operations::fop_flags that bindgen cannot read (__force casts). */
enum famfs_rs_fop_flags { FAMFS_RS_FOP_MMAP_SYNC = FOP_MMAP_SYNC };
bool famfs_rs_inode_trylock(struct inode *inode);
bool famfs_rs_inode_trylock_shared(struct inode *inode);
bool famfs_rs_iocb_nowait(const struct kiocb *iocb);
/* A dax file takes O_DIRECT (it is the same path) and RWF_NOWAIT. */
void famfs_rs_file_set_dax_modes(struct file *file);
/* Faults hold the invalidate lock shared; taking a device away holds it
 * exclusively, so no fault maps a page of it back in. */
void famfs_rs_invalidate_lock(struct address_space *mapping);
void famfs_rs_invalidate_unlock(struct address_space *mapping);
void famfs_rs_invalidate_lock_shared(struct address_space *mapping);
void famfs_rs_invalidate_unlock_shared(struct address_space *mapping);
/* Durability (fsync, O_SYNC/O_DSYNC writes): the store fence that makes
 * cache-bypassing stores and cache write-backs reach the persistence
 * domain (pmem_wmb(): sfence on x86), a writeback error kept on the
 * mapping (errseq: each open file sees it once), and the O_SYNC/O_DSYNC
 * fsync of a write. */
#include <linux/pagemap.h>
void famfs_rs_pmem_wmb(void);
void famfs_rs_mapping_set_error(struct address_space *mapping, int error);
ssize_t famfs_rs_generic_write_sync(struct kiocb *iocb, ssize_t count);
/* The raw nodes of bound devices (module/kapi/fsdax/raw.rs): reads evict
 * this CPU's cached lines first (another host may have written the memory)
 * and copy machine-check-safely; writes bypass the caches. Both copy with
 * page faults disabled (they run under the dax read lock, which a fault on
 * a user page, say of a FUSE file, must not hold up): the caller faults
 * the user's pages in first, famfs_rs_iov_iter_fault_in(), which returns
 * the bytes it could not (to_user: the pages are written). */
size_t famfs_rs_raw_copy_to_iter(void *addr, size_t bytes, struct iov_iter *i);
size_t famfs_rs_raw_copy_from_iter(void *addr, size_t bytes, struct iov_iter *i);
size_t famfs_rs_iov_iter_fault_in(struct iov_iter *i, size_t bytes, bool to_user);

#endif
