//! Typed conversions between JS values and Rust values.

use std::ffi::c_void;
use std::ptr;

use super::env::{Env, Value};
use super::error::{check, JsError, JsResult};
use super::sys::*;

fn element_size(ty: napi_typedarray_type) -> Option<usize> {
    Some(match ty {
        napi_int8_array | napi_uint8_array | napi_uint8_clamped_array => 1,
        napi_int16_array | napi_uint16_array => 2,
        napi_int32_array | napi_uint32_array | napi_float32_array => 4,
        napi_float64_array | napi_bigint64_array | napi_biguint64_array => 8,
        _ => return None,
    })
}

impl Env {
    // ---- Rust → JS ----

    pub fn u32(self, n: u32) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_create_uint32(self.raw(), n, &mut v) }, "create number")?;
        Ok(Value::from_raw(v))
    }

    pub fn f64(self, n: f64) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_create_double(self.raw(), n, &mut v) }, "create number")?;
        Ok(Value::from_raw(v))
    }

    /// A counter as a JS number (exact up to 2^53).
    pub fn count(self, n: u64) -> JsResult<Value> {
        match u32::try_from(n) {
            Ok(small) => self.u32(small),
            Err(_) => self.f64(n as f64),
        }
    }

    pub fn bigint_u64(self, n: u64) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_create_bigint_uint64(self.raw(), n, &mut v) }, "create bigint")?;
        Ok(Value::from_raw(v))
    }

    pub fn string(self, s: &str) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_create_string_utf8(self.raw(), s.as_ptr().cast(), s.len(), &mut v) }, "create string")?;
        Ok(Value::from_raw(v))
    }

    // ---- JS → Rust ----

    /// An integer-valued number in `min..=max`.
    pub fn to_int(self, v: Value, what: &str, min: f64, max: f64) -> JsResult<f64> {
        let mut d = 0.0;
        let status = unsafe { napi_get_value_double(self.raw(), v.raw(), &mut d) };
        if status != napi_ok || !d.is_finite() || d.fract() != 0.0 || d < min || d > max {
            return Err(JsError::invalid_argument(format!("{what} must be an integer in {min}..={max}")));
        }
        Ok(d)
    }

    /// Any number but NaN (infinities included).
    pub fn to_number(self, v: Value, what: &str) -> JsResult<f64> {
        let mut d = 0.0;
        let status = unsafe { napi_get_value_double(self.raw(), v.raw(), &mut d) };
        if status != napi_ok || d.is_nan() {
            return Err(JsError::invalid_argument(format!("{what} must be a number")));
        }
        Ok(d)
    }

    pub fn to_u32_in(self, v: Value, what: &str, min: u32, max: u32) -> JsResult<u32> {
        Ok(self.to_int(v, what, min as f64, max as f64)? as u32)
    }

    pub fn to_u16_in(self, v: Value, what: &str, min: u16, max: u16) -> JsResult<u16> {
        Ok(self.to_int(v, what, min as f64, max as f64)? as u16)
    }

    /// A non-negative integer up to 2^53, as usize.
    pub fn to_usize(self, v: Value, what: &str) -> JsResult<usize> {
        let d = self.to_int(v, what, 0.0, 9_007_199_254_740_991.0)?;
        Ok(usize::try_from(d as u64).unwrap_or(usize::MAX))
    }

    pub fn to_bool(self, v: Value, what: &str) -> JsResult<bool> {
        let mut b = false;
        let status = unsafe { napi_get_value_bool(self.raw(), v.raw(), &mut b) };
        if status != napi_ok {
            return Err(JsError::invalid_argument(format!("{what} must be a boolean")));
        }
        Ok(b)
    }

    /// A bigint in 0..2^64.
    pub fn to_u64_bigint(self, v: Value, what: &str) -> JsResult<u64> {
        let mut n = 0u64;
        let mut lossless = false;
        let status = unsafe { napi_get_value_bigint_uint64(self.raw(), v.raw(), &mut n, &mut lossless) };
        if status != napi_ok || !lossless {
            return Err(JsError::invalid_argument(format!("{what} must be a bigint in 0..2^64")));
        }
        Ok(n)
    }

    pub fn to_string(self, v: Value, what: &str) -> JsResult<String> {
        let mut len = 0usize;
        let status = unsafe { napi_get_value_string_utf8(self.raw(), v.raw(), ptr::null_mut(), 0, &mut len) };
        if status != napi_ok {
            return Err(JsError::invalid_argument(format!("{what} must be a string")));
        }
        let mut buf = vec![0u8; len + 1];
        let mut written = 0usize;
        check(
            unsafe { napi_get_value_string_utf8(self.raw(), v.raw(), buf.as_mut_ptr().cast(), buf.len(), &mut written) },
            what,
        )?;
        buf.truncate(written.min(len));
        Ok(String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// Borrows the bytes of a Buffer, TypedArray, DataView or ArrayBuffer without copying.
    ///
    /// # Safety
    /// The slice must not outlive the current callback, and no JS code (getters, calls) may run
    /// while it is alive: JS could modify the bytes or detach the buffer.
    pub unsafe fn bytes<'a>(self, v: Value, what: &str) -> JsResult<&'a [u8]> {
        let env = self.raw();
        let mut ty = 0;
        let mut len = 0usize;
        let mut data: *mut c_void = ptr::null_mut();
        let mut ab = ptr::null_mut();
        let mut offset = 0usize;
        let (data, byte_len) = if napi_get_typedarray_info(env, v.raw(), &mut ty, &mut len, &mut data, &mut ab, &mut offset) == napi_ok {
            let Some(size) = element_size(ty) else {
                return Err(JsError::invalid_argument(format!("{what}: unsupported TypedArray type")));
            };
            (data, len.saturating_mul(size))
        } else {
            let mut is_ab = false;
            let mut is_dv = false;
            if napi_is_arraybuffer(env, v.raw(), &mut is_ab) == napi_ok && is_ab {
                check(napi_get_arraybuffer_info(env, v.raw(), &mut data, &mut len), what)?;
                (data, len)
            } else if napi_is_dataview(env, v.raw(), &mut is_dv) == napi_ok && is_dv {
                check(napi_get_dataview_info(env, v.raw(), &mut len, &mut data, &mut ab, &mut offset), what)?;
                (data, len)
            } else {
                return Err(JsError::invalid_argument(format!("{what} must be a Buffer or Uint8Array")));
            }
        };
        if byte_len == 0 || data.is_null() {
            return Ok(&[]);
        }
        Ok(std::slice::from_raw_parts(data as *const u8, byte_len))
    }

    /// A Uint8Array's backing ArrayBuffer, byte offset, data pointer and length, without borrowing
    /// the bytes. InvalidArgument for anything but a Uint8Array.
    pub fn uint8_array_raw(self, v: Value, what: &str) -> JsResult<(Value, usize, *mut u8, usize)> {
        let mut ty = 0;
        let mut len = 0usize;
        let mut data: *mut c_void = ptr::null_mut();
        let mut ab = ptr::null_mut();
        let mut offset = 0usize;
        let status = unsafe { napi_get_typedarray_info(self.raw(), v.raw(), &mut ty, &mut len, &mut data, &mut ab, &mut offset) };
        if status != napi_ok || ty != napi_uint8_array {
            return Err(JsError::invalid_argument(format!("{what} must be a Buffer or Uint8Array")));
        }
        Ok((Value::from_raw(ab), offset, data as *mut u8, if data.is_null() { 0 } else { len }))
    }

    /// As `uint8_array_raw`, with the bytes borrowed for writing (None if empty).
    ///
    /// # Safety
    /// As for `bytes`: no JS code may run while the slice is alive, and no other slice over the
    /// same bytes may be alive.
    pub unsafe fn uint8_array_mut<'a>(self, v: Value, what: &str) -> JsResult<Option<(Value, usize, &'a mut [u8])>> {
        let (ab, offset, data, len) = self.uint8_array_raw(v, what)?;
        if len == 0 {
            return Ok(None);
        }
        Ok(Some((ab, offset, std::slice::from_raw_parts_mut(data, len))))
    }

    /// Copies exactly N bytes out of a Buffer/TypedArray (InvalidArgument if the length differs).
    pub fn to_byte_array<const N: usize>(self, v: Value, what: &str) -> JsResult<[u8; N]> {
        // SAFETY: the slice is copied before any other JS interaction.
        let bytes = unsafe { self.bytes(v, what)? };
        bytes.try_into().map_err(|_| JsError::invalid_argument(format!("{what} must be {N} bytes long")))
    }
}
