//! JS helpers compiled once per environment and called from Rust.
//!
//! Building an object through Node-API costs a call and a generic property store per field;
//! calling a small JS function that returns an object literal costs one call, and the objects
//! it returns all share one hidden class, which also keeps the consumer's code monomorphic.

use std::ffi::c_void;
use std::ptr;

use super::env::{Env, Value};
use super::error::{check, JsError, JsResult};
use super::sys::*;

/// A persistent handle to a JS function (kept for the life of the environment).
#[derive(Clone, Copy, Debug)]
pub struct FnRef(napi_ref);

impl Env {
    /// Compiles and runs `source` in the current context and returns its completion value.
    pub fn run_script(self, source: &str) -> JsResult<Value> {
        let script = self.string(source)?;
        let mut v = ptr::null_mut();
        check(unsafe { napi_run_script(self.raw(), script.raw(), &mut v) }, "run script")?;
        Ok(Value::from_raw(v))
    }

    /// Keeps `function` alive and callable from later callbacks of this environment.
    pub fn keep_function(self, function: Value) -> JsResult<FnRef> {
        let mut r = ptr::null_mut();
        check(unsafe { napi_create_reference(self.raw(), function.raw(), 1, &mut r) }, "create reference")?;
        Ok(FnRef(r))
    }

    /// Calls a kept function with `undefined` as receiver.
    pub fn call(self, f: FnRef, args: &[Value]) -> JsResult<Value> {
        let mut func = ptr::null_mut();
        check(unsafe { napi_get_reference_value(self.raw(), f.0, &mut func) }, "get reference")?;
        if func.is_null() {
            return Err(JsError::new("InvalidState", "helper function was collected"));
        }
        let mut recv = ptr::null_mut();
        check(unsafe { napi_get_undefined(self.raw(), &mut recv) }, "undefined")?;
        // Value is a transparent wrapper around napi_value, so the slice can be passed as is.
        let argv = args.as_ptr() as *const napi_value;
        let mut v = ptr::null_mut();
        check(unsafe { napi_call_function(self.raw(), recv, func, args.len(), argv, &mut v) }, "call helper")?;
        Ok(Value::from_raw(v))
    }

    /// Stores per-environment state (one value per addon instance; worker threads get their own).
    pub fn set_instance_data<T: 'static>(self, data: T) -> JsResult<()> {
        unsafe extern "C" fn free<T>(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
            let _ = std::panic::catch_unwind(|| {
                if !data.is_null() {
                    // SAFETY: created by Box::into_raw below; Node calls this once at teardown.
                    drop(Box::from_raw(data as *mut T));
                }
            });
        }
        let boxed = Box::into_raw(Box::new(data)) as *mut c_void;
        let status = unsafe { napi_set_instance_data(self.raw(), boxed, Some(free::<T>), ptr::null_mut()) };
        if status != napi_ok {
            // SAFETY: not stored, so still ours.
            drop(unsafe { Box::from_raw(boxed as *mut T) });
        }
        check(status, "set instance data")
    }

    /// The state stored by `set_instance_data::<T>`.
    ///
    /// # Safety
    /// `T` must be the type this addon stored for this environment.
    pub unsafe fn instance_data<'a, T: 'static>(self) -> JsResult<&'a T> {
        let mut data: *mut c_void = ptr::null_mut();
        check(napi_get_instance_data(self.raw(), &mut data), "get instance data")?;
        (data as *const T).as_ref().ok_or_else(|| JsError::new("InvalidState", "addon not initialized"))
    }
}
