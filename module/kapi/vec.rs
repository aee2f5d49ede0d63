// SPDX-License-Identifier: GPL-2.0

//! What the 6.12 `KVec` lacks: removing from the middle, shortening.
//! (Later kernels have them, with `set_len` gone: these use only what both
//! have.)

use core::ptr;
use kernel::prelude::*;

/// Sets the length of `v` to `len`, nothing dropped or initialised.
///
/// # Safety
///
/// `len <= v.capacity()` and entries `..len` are initialised; entries
/// `len..` are no longer the vector's to drop.
unsafe fn set_len<T>(v: &mut KVec<T>, len: usize) {
    let (ptr, _, capacity) = core::mem::replace(v, KVec::new()).into_raw_parts();
    // SAFETY: the same allocation and capacity; `len` per the contract.
    *v = unsafe { KVec::from_raw_parts(ptr, len, capacity) };
}

/// Takes entry `i` out of `v`; the last entry takes its place. `None` if
/// there is no entry `i`.
pub(crate) fn swap_remove<T>(v: &mut KVec<T>, i: usize) -> Option<T> {
    let last = v.len().checked_sub(1)?;
    if i > last {
        return None;
    }
    v.as_mut_slice().swap(i, last);
    // SAFETY: `last < len`, so entry `last` is initialised; shortening the
    // vector first makes the read its only owner.
    unsafe {
        set_len(v, last);
        Some(ptr::read(v.as_ptr().add(last)))
    }
}

/// Shortens `v` to `len` entries, dropping the rest (nothing if it is not
/// longer).
pub(crate) fn truncate<T>(v: &mut KVec<T>, len: usize) {
    let old = v.len();
    if len >= old {
        return;
    }
    // SAFETY: entries `len..old` are initialised; the length is cut first,
    // so each is dropped exactly once and never reached again.
    unsafe {
        set_len(v, len);
        let tail = ptr::slice_from_raw_parts_mut(v.as_mut_ptr().add(len), old - len);
        ptr::drop_in_place(tail);
    }
}

/// A copy of `bytes`, exactly as long.
pub(crate) fn copied(bytes: &[u8]) -> Result<KVec<u8>> {
    let mut v = KVec::with_capacity(bytes.len(), GFP_KERNEL)?;
    v.extend_from_slice(bytes, GFP_KERNEL)?;
    Ok(v)
}
