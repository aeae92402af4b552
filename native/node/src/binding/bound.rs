//! Per-frame calls as functions bound to one instance's state.
//!
//! A `#[napi]` method reaches its `&self` through `napi_unwrap`, a type-tag check (a private
//! property lookup) and napi-rs's borrow registry (a mutex and a hash map per call): together
//! about as much as the whole frame's work at 64 bytes. A function created for one instance
//! carries a pointer to that instance's state as its callback data instead, so a call costs
//! `napi_get_cb_info` and the `RefCell` that guards re-entrancy. The instance stores it as an
//! own property under the method's name; the function frees its share of the state when V8
//! collects it.

use std::cell::RefCell;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::rc::Rc;

use napi::bindgen_prelude::{JsObjectValue, Object};
use napi::{check_status, sys, Env, JsError, Status, Unknown};

use super::error::{entry, Failure, Outcome};

/// The body of a bound call: the state, exclusively borrowed, and the call's arguments.
pub type Body<S, const N: usize> = for<'e> fn(&'e Env, &mut S, &[Unknown<'e>; N]) -> Outcome<sys::napi_value>;

struct Binding<S, const N: usize> {
    state: Rc<RefCell<S>>,
    body: Body<S, N>,
    /// The class, for the re-entrancy error.
    class: &'static str,
}

/// Defines `this[name]` as a function of `N` arguments running `body` on `state`.
pub fn define<S: 'static, const N: usize>(
    env: &Env,
    this: &Object,
    class: &'static str,
    name: &str,
    state: Rc<RefCell<S>>,
    body: Body<S, N>,
) -> Outcome<()> {
    let data = Box::into_raw(Box::new(Binding { state, body, class }));
    let mut function = ptr::null_mut();
    // SAFETY: `env` is the running callback's; `name` is valid for its length; `data` lives
    // until the finalizer below runs.
    let created = unsafe { sys::napi_create_function(env.raw(), name.as_ptr().cast(), name.len() as isize, Some(call::<S, N>), data.cast(), &mut function) };
    if created != sys::Status::napi_ok {
        // SAFETY: not handed to Node: still ours.
        drop(unsafe { Box::from_raw(data) });
        check_status!(created)?;
    }
    // SAFETY: `function` was just created; from here on the finalizer owns `data`.
    check_status!(unsafe { sys::napi_add_finalizer(env.raw(), function, data.cast(), Some(finalize::<S, N>), ptr::null_mut(), ptr::null_mut()) })?;
    // SAFETY: `function` is a value of `env`.
    let mut this = *this;
    this.set_named_property(name, unsafe { Unknown::from_raw_unchecked(env.raw(), function) })?;
    Ok(())
}

unsafe extern "C" fn call<S: 'static, const N: usize>(raw_env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    // Nothing may unwind into Node, including from the argument plumbing around `entry`.
    catch_unwind(AssertUnwindSafe(|| {
        let env = Env::from_raw(raw_env);
        let mut argc = N;
        let mut argv = [ptr::null_mut(); N];
        let mut data: *mut c_void = ptr::null_mut();
        // SAFETY: `info` is this callback's; `argv` has room for `argc` values (missing ones are
        // filled with undefined).
        let status = unsafe { sys::napi_get_cb_info(raw_env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data) };
        let result = entry(&env, || {
            check_status!(status)?;
            // SAFETY: `data` is the Binding this function was created with, alive until the
            // function is collected, which it is not while it runs.
            let binding = unsafe { &*data.cast::<Binding<S, N>>() };
            // SAFETY: Node-API just returned these values for this call.
            let args = argv.map(|v| unsafe { Unknown::from_raw_unchecked(raw_env, v) });
            let mut state = binding.state.try_borrow_mut().map_err(|_| Failure::reentrant(binding.class))?;
            (binding.body)(&env, &mut state, &args)
        });
        match result {
            Ok(value) => value,
            Err(e) if e.status == Status::PendingException => ptr::null_mut(),
            Err(e) => {
                // SAFETY: `raw_env` is the running callback's.
                unsafe { JsError::from(e).throw_into(raw_env) };
                ptr::null_mut()
            }
        }
    }))
    .unwrap_or(ptr::null_mut())
}

unsafe extern "C" fn finalize<S: 'static, const N: usize>(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` came from Box::into_raw in `define`, and Node finalizes once.
    let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { Box::from_raw(data.cast::<Binding<S, N>>()) })));
}
