//! Output bytes, written in place into memory V8 allocated.
//!
//! napi-rs builds `Buffer`s and `ArrayBuffer`s from a `Vec<u8>` as external memory owned by
//! Rust; Node frees those only on a later event-loop turn, so a busy producer keeps faulting in
//! fresh pages (7x slower on 1 MiB frames when measured). Its copying constructors need the
//! bytes in Rust memory first: one more copy. So these two calls allocate through Node-API
//! directly and hand the fresh memory to a closure. They are the only `unsafe` of the binding
//! besides the caller-buffer writes in `codec.rs` and `local.rs` and reading a DataView in
//! `args.rs`.

use std::ptr;

use napi::bindgen_prelude::{ArrayBuffer, FromNapiValue};
use napi::{check_status, sys, Env, Unknown};

use super::error::Outcome;

/// A new `Buffer` of `len` bytes, written by `fill`.
pub fn buffer<'e>(env: &'e Env, len: usize, fill: impl FnOnce(&mut [u8])) -> Outcome<Unknown<'e>> {
    let mut data = ptr::null_mut();
    let mut value = ptr::null_mut();
    // SAFETY: `env` is the environment of the running callback; the out-pointers are valid.
    check_status!(unsafe { sys::napi_create_buffer(env.raw(), len, &mut data, &mut value) })?;
    // SAFETY: the Buffer's `len` bytes were just allocated and are filled before JS sees them.
    fill(unsafe { fresh_bytes(data.cast(), len) });
    // SAFETY: `value` was just created in `env`.
    Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
}

/// A new `ArrayBuffer` of `len` bytes, written by `fill`.
pub fn arraybuffer<'e>(env: &'e Env, len: usize, fill: impl FnOnce(&mut [u8])) -> Outcome<ArrayBuffer<'e>> {
    let mut data = ptr::null_mut();
    let mut value = ptr::null_mut();
    // SAFETY: as in `buffer`.
    check_status!(unsafe { sys::napi_create_arraybuffer(env.raw(), len, &mut data, &mut value) })?;
    // SAFETY: as in `buffer`.
    fill(unsafe { fresh_bytes(data.cast(), len) });
    // SAFETY: `value` is an ArrayBuffer just created in `env`.
    Ok(unsafe { ArrayBuffer::from_napi_value(env.raw(), value) }?)
}

/// # Safety
/// `data` must point at `len` bytes that Node-API just allocated for a new object no JS code has
/// seen yet, and the slice must be dropped before control returns to JS.
unsafe fn fresh_bytes<'a>(data: *mut u8, len: usize) -> &'a mut [u8] {
    if len == 0 || data.is_null() {
        return &mut [];
    }
    // SAFETY: see the function's contract.
    unsafe { std::slice::from_raw_parts_mut(data, len) }
}
