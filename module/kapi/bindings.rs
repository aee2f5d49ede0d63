// SPDX-License-Identifier: GPL-2.0

//! Raw bindings: the kernel crate's, plus the module's own bindgen pass over
//! the headers the 6.12 kernel crate does not cover (dax, iomap, memremap,
//! miscdevice; see `bindings/bindgen_parameters`).
//!
//! Private to the kernel API layer (`module/kapi/`): only its wrappers use
//! them; the layers above see safe types, constants and errnos.

#[allow(
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn
)]
mod generated {
    // Types the generated items mention but do not define (the generation is
    // not recursive) resolve to the kernel crate's, so pointers passed between
    // the two are of one type. Kbuild checks that nothing is defined twice.
    use kernel::bindings::*;
    use kernel::ffi;
    include!(env!("FAMFS_RS_BINDINGS_RS"));
}

pub(super) use generated::*;
pub(super) use kernel::bindings::*;
