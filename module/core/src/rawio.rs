// SPDX-License-Identifier: GPL-2.0

//! The raw node of a bound device (`/dev/famfs_rs_raw/daxX.Y`): which bytes
//! a `pread`/`pwrite` at a user-chosen offset and length may touch.
//!
//! Every offset and length comes from the caller, so each is checked here,
//! once, before any device memory is looked up.

use super::errno;

/// The bytes a transfer of `count` bytes at `pos` on a device of `size`
/// bytes moves: `pos` itself is the first, the result their number. A read
/// at or past the end moves nothing (end of file); a write there is
/// ENOSPC, as on a block device, unless it is empty. A negative `pos` is
/// EINVAL (the VFS refuses one already; checked again since it is user
/// input).
pub fn span(pos: i64, count: usize, size: u64, write: bool) -> Result<usize, i32> {
    let pos = u64::try_from(pos).map_err(|_| errno::EINVAL)?;
    let left = size.saturating_sub(pos);
    if left == 0 {
        return if write && count != 0 {
            Err(errno::ENOSPC)
        } else {
            Ok(0)
        };
    }
    Ok(usize::try_from(left).map_or(count, |left| count.min(left)))
}

/// How much of a transfer of `len` bytes starting `in_page` bytes into a
/// page to ask the device for at once: at most `chunk` bytes, so that the
/// dax read lock is not held across an arbitrarily long copy. Returns the
/// bytes and the pages they cover.
pub fn chunk(in_page: usize, len: usize, chunk: usize, page_size: usize) -> (usize, usize) {
    let bytes = len.min(chunk);
    let pages = in_page.saturating_add(bytes).div_ceil(page_size.max(1));
    (bytes, pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZE: u64 = 1 << 30;

    #[test]
    fn inside_is_clamped_to_the_end() {
        assert_eq!(span(0, 4096, SIZE, false), Ok(4096));
        assert_eq!(span(SIZE as i64 - 10, 4096, SIZE, false), Ok(10));
        assert_eq!(span(SIZE as i64 - 10, 4096, SIZE, true), Ok(10));
        assert_eq!(span(0, usize::MAX, SIZE, false), Ok(SIZE as usize));
    }

    #[test]
    fn at_or_past_the_end() {
        assert_eq!(span(SIZE as i64, 1, SIZE, false), Ok(0));
        assert_eq!(span(i64::MAX, 1, SIZE, false), Ok(0));
        assert_eq!(span(SIZE as i64, 1, SIZE, true), Err(errno::ENOSPC));
        assert_eq!(span(i64::MAX, usize::MAX, SIZE, true), Err(errno::ENOSPC));
        assert_eq!(span(SIZE as i64, 0, SIZE, true), Ok(0));
    }

    #[test]
    fn negative_offsets_are_refused() {
        assert_eq!(span(-1, 1, SIZE, false), Err(errno::EINVAL));
        assert_eq!(span(i64::MIN, 0, SIZE, true), Err(errno::EINVAL));
    }

    #[test]
    fn chunks_cover_their_pages() {
        assert_eq!(chunk(0, 10, 1 << 21, 4096), (10, 1));
        assert_eq!(chunk(4095, 2, 1 << 21, 4096), (2, 2));
        assert_eq!(chunk(100, 1 << 30, 1 << 21, 4096), (1 << 21, 513));
        assert_eq!(chunk(0, 0, 1 << 21, 4096), (0, 0));
    }
}
