// SPDX-License-Identifier: GPL-2.0
//! Pushing written bytes out of this CPU's caches, and dropping stale ones.
//!
//! Hosts that share CXL memory need not be cache-coherent with each other:
//! a store that sits in this host's cache is invisible to the others, and a
//! line this host cached earlier hides what others wrote since. famfs
//! therefore flushes every metadata write (and we flush data writes too)
//! to memory before moving on, the way upstream famfs does, and evicts the
//! lines of shared bytes before reading them (the log a client replays).

/// Cache line size assumed for flushing (x86_64's).
#[cfg(target_arch = "x86_64")]
const LINE: usize = 64;

/// Whether the CPU has CLFLUSHOPT (CPUID leaf 7, EBX bit 23), asked once.
#[cfg(target_arch = "x86_64")]
fn has_clflushopt() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        // Leaf 0 reports the highest leaf; leaf 7 is only asked if it exists.
        let max = std::arch::x86_64::__cpuid(0).eax;
        max >= 7 && std::arch::x86_64::__cpuid_count(7, 0).ebx & (1 << 23) != 0
    })
}

/// Write back and evict the cache lines covering `ptr..ptr+len`, then fence
/// so that later stores (e.g. a log header update) are ordered after them.
/// A no-op on architectures other than x86_64.
///
/// # Safety
/// `ptr..ptr+len` must lie inside memory mapped in this process. It is only
/// flushed, never read or written, but flushing an unmapped address faults.
pub(crate) unsafe fn flush_cache(ptr: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if len == 0 {
            return;
        }
        let opt = has_clflushopt();
        let mut line = (ptr as usize) & !(LINE - 1);
        let end = (ptr as usize).saturating_add(len);
        while line < end {
            // SAFETY: the caller's range is mapped (this fn's contract);
            // rounding down to a line start stays in the same page. CLFLUSH/CLFLUSHOPT write back and invalidate a line and
            // never change memory contents; CLFLUSHOPT runs only when CPUID
            // reports it.
            unsafe {
                if opt {
                    std::arch::asm!("clflushopt [{0}]", in(reg) line, options(nostack, preserves_flags));
                } else {
                    std::arch::x86_64::_mm_clflush(line as *const u8);
                }
            }
            line += LINE;
        }
        // SAFETY: SFENCE has no operands; SSE is baseline on x86_64. It
        // orders the (weakly ordered) CLFLUSHOPTs before later stores.
        unsafe { std::arch::x86_64::_mm_sfence() };
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (ptr, len);
    }
}
