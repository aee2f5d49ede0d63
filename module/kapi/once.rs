// SPDX-License-Identifier: GPL-2.0

//! A value published once and read lock-free afterwards: the pattern of a
//! boxed value leaked into an atomic pointer, set once with release
//! ordering, read with one acquire load, freed at the end.

use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;

/// An owned value that is set at most once.
///
/// # Invariants
///
/// `ptr` is NULL or comes from `KBox::into_raw` and is owned by `self`; once
/// non-NULL it changes only through `take` (which needs `&mut self`) or
/// `take_shared` (whose caller vouches that no borrow is left).
pub(crate) struct OnceBox<T> {
    ptr: AtomicPtr<T>,
    _owns: PhantomData<*const T>,
}

// SAFETY: `OnceBox` owns a `T` (a `KBox<T>`): sending it sends the `T`.
unsafe impl<T: Send> Send for OnceBox<T> {}
// SAFETY: `&OnceBox` hands out `&T` (needs `T: Sync`) and takes a `T` from
// any thread in `set` (needs `T: Send`).
unsafe impl<T: Send + Sync> Sync for OnceBox<T> {}

impl<T> OnceBox<T> {
    /// Empty.
    pub(crate) const fn new() -> Self {
        Self {
            ptr: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// The value, once set.
    pub(crate) fn get(&self) -> Option<&T> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: by the invariant a non-NULL `p` is an owned, live box
        // that stays until `&mut self` or `take_shared`, neither of which
        // can run while this borrow of `self` lives.
        unsafe { p.as_ref() }
    }

    /// Whether it is set.
    pub(crate) fn is_set(&self) -> bool {
        !self.ptr.load(Ordering::Acquire).is_null()
    }

    /// Sets the value: everything written to it before is visible to
    /// `get`. If it is already set, `value` comes back.
    pub(crate) fn set(&self, value: KBox<T>) -> core::result::Result<(), KBox<T>> {
        let p = KBox::into_raw(value);
        match self
            .ptr
            .compare_exchange(ptr::null_mut(), p, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(()),
            // SAFETY: not published: `p` is still the box we made above.
            Err(_) => Err(unsafe { KBox::from_raw(p) }),
        }
    }

    /// Takes the value out.
    pub(crate) fn take(&mut self) -> Option<KBox<T>> {
        // SAFETY: `&mut self`: no borrow from `get` is alive.
        unsafe { self.take_shared() }
    }

    /// Takes the value out through a shared reference.
    ///
    /// # Safety
    ///
    /// No reference returned by [`OnceBox::get`] may be alive, nor be
    /// taken later (e.g. the static it lives in is no longer reachable).
    pub(crate) unsafe fn take_shared(&self) -> Option<KBox<T>> {
        let p = self.ptr.swap(ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: `p` is NULL or the owned box (invariant); the swap made
        // us its only owner, and no borrow of it is left (contract).
        (!p.is_null()).then(|| unsafe { KBox::from_raw(p) })
    }
}

impl<T> Drop for OnceBox<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}
