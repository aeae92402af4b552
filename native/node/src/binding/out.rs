//! Output bytes, written in place into memory V8 allocated.
//!
//! napi-rs builds `Buffer`s and `ArrayBuffer`s from a `Vec<u8>` as external memory owned by
//! Rust; Node frees those only on a later event-loop turn, so a busy producer keeps faulting in
//! fresh pages (7x slower on 1 MiB frames when measured). Its copying constructors need the
//! bytes in Rust memory first: one more copy. So these two calls allocate through Node-API
//! directly and hand the fresh memory to a closure. They are the only `unsafe` of the binding
//! besides the output slab below, the caller-buffer writes in `codec.rs`, `local.rs` and
//! `aes_gcm.rs` (decrypting in place) and reading a DataView in `args.rs`.

use std::cell::RefCell;
use std::ptr;

use napi::bindgen_prelude::{ArrayBuffer, FromNapiValue};
use napi::{check_status, sys, Env, Unknown};

use super::error::{Failure, Outcome};

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
    let value = new_arraybuffer(env, len, fill)?;
    // SAFETY: `value` is an ArrayBuffer just created in `env`.
    Ok(unsafe { ArrayBuffer::from_napi_value(env.raw(), value) }?)
}

fn new_arraybuffer(env: &Env, len: usize, fill: impl FnOnce(&mut [u8])) -> Outcome<sys::napi_value> {
    let mut data = ptr::null_mut();
    let mut value = ptr::null_mut();
    // SAFETY: as in `buffer`.
    check_status!(unsafe { sys::napi_create_arraybuffer(env.raw(), len, &mut data, &mut value) })?;
    // SAFETY: as in `buffer`.
    fill(unsafe { fresh_bytes(data.cast(), len) });
    Ok(value)
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

/// Outputs up to this size are cut from the shared slab; larger ones get an ArrayBuffer each.
const SLAB_ITEM_MAX: usize = 8 * 1024;
const SLAB_SIZE: usize = 64 * 1024;

/// The slab small outputs are cut from, as `Buffer.allocUnsafe` cuts from Node's pool: one
/// ArrayBuffer allocation per 64 KiB instead of one (and a malloc) per output. Bytes are only
/// ever handed out once (`used` only grows), so nothing JS can see is written again.
struct Slab {
    env: sys::napi_env,
    /// Strong: the slab outlives every view JS holds of it anyway, and a weak one would need a
    /// check per call. Never deleted: the slab lives as long as its thread's environment.
    buffer: sys::napi_ref,
    data: *mut u8,
    used: usize,
}

thread_local! {
    /// One per thread: a Node environment (main thread or worker) runs on one thread.
    static SLAB: RefCell<Option<Slab>> = const { RefCell::new(None) };
}

/// `len` bytes written by `fill`, as (ArrayBuffer, offset): a slice of the shared slab for small
/// outputs, a new ArrayBuffer of their own (offset 0) for large ones.
pub fn slab_bytes<'e>(env: &'e Env, len: usize, fill: impl FnOnce(&mut [u8])) -> Outcome<(Unknown<'e>, usize)> {
    if len <= SLAB_ITEM_MAX {
        // try_borrow: a finalizer that allocates output while we do is served its own buffer.
        let carved = SLAB.with(|slab| slab.try_borrow_mut().ok().map(|mut slot| carve(env, &mut slot, len)));
        if let Some(carved) = carved {
            let (buffer, data, offset) = carved?;
            // SAFETY: `carve` reserved `len` fresh bytes of the attached slab at `data` for this
            // output alone; they are filled before JS sees them.
            fill(unsafe { fresh_bytes(data, len) });
            // SAFETY: `buffer` is a value of `env` (from the slab's reference).
            return Ok((unsafe { Unknown::from_raw_unchecked(env.raw(), buffer) }, offset));
        }
    }
    let buffer = new_arraybuffer(env, len, fill)?;
    // SAFETY: `buffer` was just created in `env`.
    Ok((unsafe { Unknown::from_raw_unchecked(env.raw(), buffer) }, 0))
}

/// Reserves `len` bytes of the slab (a new slab when this one is full, detached by JS, or of
/// another environment): the slab, where the bytes are, and their offset.
fn carve(env: &Env, slot: &mut Option<Slab>, len: usize) -> Outcome<(sys::napi_value, *mut u8, usize)> {
    let current = match slot.as_ref() {
        Some(slab) if slab.env == env.raw() && slab.used + len <= SLAB_SIZE => {
            let mut value = ptr::null_mut();
            // SAFETY: the reference was created in this environment and is never deleted.
            check_status!(unsafe { sys::napi_get_reference_value(env.raw(), slab.buffer, &mut value) })?;
            let mut detached = true;
            // SAFETY: `value` is the slab ArrayBuffer, alive (strong reference).
            check_status!(unsafe { sys::napi_is_detached_arraybuffer(env.raw(), value, &mut detached) })?;
            (!detached).then_some(value)
        }
        _ => None,
    };
    let value = match current {
        Some(value) => value,
        None => {
            if let Some(old) = slot.take() {
                if old.env == env.raw() {
                    // SAFETY: the old slab's reference, of this environment, not used again.
                    // Views JS still holds keep the old slab alive.
                    unsafe { sys::napi_delete_reference(env.raw(), old.buffer) };
                }
            }
            let (mut data, mut value, mut reference) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
            // SAFETY: as in `buffer`.
            check_status!(unsafe { sys::napi_create_arraybuffer(env.raw(), SLAB_SIZE, &mut data, &mut value) })?;
            // SAFETY: `value` was just created in `env`.
            check_status!(unsafe { sys::napi_create_reference(env.raw(), value, 1, &mut reference) })?;
            *slot = Some(Slab { env: env.raw(), buffer: reference, data: data.cast(), used: 0 });
            value
        }
    };
    let slab = slot.as_mut().ok_or_else(|| Failure::new("InvalidState", "no output slab"))?;
    let offset = slab.used;
    // 8-byte aligned, so any TypedArray can view an output.
    slab.used = (offset + len).div_ceil(8) * 8;
    // SAFETY: offset + len <= SLAB_SIZE: inside the slab's attached memory.
    Ok((value, unsafe { slab.data.add(offset) }, offset))
}
