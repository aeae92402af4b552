#![allow(non_upper_case_globals)]
//! A small, dependency-free Node-API layer: raw declarations resolved at load time (`sys`), a
//! copyable environment handle with value helpers (`env`, `value`), JS errors and the panic
//! boundary (`error`), function/class definition with wrapped Rust state (`class`), and JS
//! helpers compiled once per environment (`script`) with the output-buffer allocator they wrap
//! (`buffer`).

pub mod sys;

mod buffer;
mod class;
mod env;
mod error;
mod script;
mod value;

pub use buffer::{OutAllocator, OutBytes};
pub use class::{define_class, define_function, CallArgs, FnImpl, JsClass, MethodImpl};
pub use env::{Env, Value};
pub use error::{install_panic_hook, JsError, JsResult};
pub use script::FnRef;

/// Loads the napi functions and runs `init(env, exports)` behind the panic boundary. Returns
/// `exports`, or null if Node-API could not be resolved (Node then reports a failed load).
///
/// # Safety
/// Must be called from `napi_register_module_v1` with the arguments Node passed to it.
pub unsafe fn register_module(
    env: sys::napi_env,
    exports: sys::napi_value,
    init: fn(Env, Value) -> JsResult<()>,
) -> sys::napi_value {
    if sys::load().is_err() {
        return std::ptr::null_mut();
    }
    install_panic_hook();
    error::boundary(env, || {
        let exports = Value::from_raw(exports);
        init(Env::from_raw(env), exports)?;
        Ok(exports)
    })
}
