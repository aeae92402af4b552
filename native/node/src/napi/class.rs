//! JS functions and classes backed by Rust. Every trampoline runs its body inside the panic
//! boundary; class instances own a boxed Rust value that the GC finalizer drops.

use std::cell::{Cell, UnsafeCell};
use std::ffi::{c_void, CStr};
use std::ptr;

use super::env::{Env, Value};
use super::error::{boundary, check, JsError, JsResult};
use super::sys::*;

/// Arguments beyond this count are ignored.
const MAX_ARGS: usize = 6;

/// The receiver and arguments of the current call.
pub struct CallArgs {
    env: Env,
    this: Value,
    argv: [napi_value; MAX_ARGS],
    argc: usize,
    data: *mut c_void,
}

impl CallArgs {
    unsafe fn read(env: napi_env, info: napi_callback_info) -> JsResult<Self> {
        let mut argc = MAX_ARGS;
        let mut argv = [ptr::null_mut(); MAX_ARGS];
        let mut this = ptr::null_mut();
        let mut data = ptr::null_mut();
        check(napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), &mut this, &mut data), "arguments")?;
        Ok(CallArgs { env: Env::from_raw(env), this: Value::from_raw(this), argv, argc: argc.min(MAX_ARGS), data })
    }

    /// Argument `i`; `undefined` when not passed (Node fills the requested slots).
    #[inline]
    pub fn get(&self, i: usize) -> Value {
        Value::from_raw(self.argv.get(i).copied().unwrap_or(ptr::null_mut()))
    }

    /// Number of arguments actually passed.
    #[inline]
    pub fn len(&self) -> usize {
        self.argc
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }

    /// Whether argument `i` is missing, `undefined` or `null`.
    pub fn is_nullish(&self, i: usize) -> JsResult<bool> {
        if i >= self.argc {
            return Ok(true);
        }
        self.env.is_nullish(self.get(i))
    }

    /// Borrows the bytes of argument `i` for the rest of the call.
    ///
    /// # Safety
    /// No JS code may run while the slice is alive (see `Env::bytes`): read every other argument
    /// that could run a getter before calling this.
    pub unsafe fn bytes(&self, i: usize, what: &str) -> JsResult<&[u8]> {
        self.env.bytes(self.get(i), what)
    }

    pub fn this(&self) -> Value {
        self.this
    }
}

pub type FnImpl = fn(Env, &CallArgs) -> JsResult<Value>;
pub type MethodImpl<T> = fn(&mut T, Env, &CallArgs) -> JsResult<Value>;

/// A Rust type exposed as a JS class.
pub trait JsClass: Sized + 'static {
    const NAME: &'static CStr;
    /// Marks instances so methods can refuse a receiver of another class (or another addon's
    /// wrapped object) before reinterpreting its native pointer.
    const TAG: napi_type_tag;
    fn construct(env: Env, args: &CallArgs) -> JsResult<Self>;
    fn methods() -> &'static [(&'static CStr, MethodImpl<Self>)];
}

/// The native side of an instance. `busy` rejects re-entrant calls (a getter invoked while
/// reading arguments could call back into the same object) so `&mut T` is never aliased.
struct Wrapped<T> {
    busy: Cell<bool>,
    inner: UnsafeCell<T>,
}

struct BusyGuard<'a>(&'a Cell<bool>);

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

unsafe extern "C" fn function_trampoline(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || {
        let args = CallArgs::read(env, info)?;
        // SAFETY: `data` is the FnImpl registered with this function by `define_function`.
        let f = std::mem::transmute::<*mut c_void, FnImpl>(args.data);
        f(Env::from_raw(env), &args)
    })
}

unsafe extern "C" fn constructor_trampoline<T: JsClass>(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || {
        let mut new_target = ptr::null_mut();
        check(napi_get_new_target(env, info, &mut new_target), "new.target")?;
        if new_target.is_null() {
            return Err(JsError::invalid_argument(format!("{} must be called with new", T::NAME.to_string_lossy())));
        }
        let args = CallArgs::read(env, info)?;
        let value = T::construct(Env::from_raw(env), &args)?;
        let this = args.this.raw();
        check(napi_type_tag_object(env, this, &T::TAG), "type tag")?;
        let boxed = Box::into_raw(Box::new(Wrapped { busy: Cell::new(false), inner: UnsafeCell::new(value) }));
        let status = napi_wrap(env, this, boxed as *mut c_void, Some(finalize::<T>), ptr::null_mut(), ptr::null_mut());
        if status != napi_ok {
            // SAFETY: the wrap failed, so we still own the box.
            drop(Box::from_raw(boxed));
            return Err(JsError::from_status(status, "wrap"));
        }
        Ok(args.this)
    })
}

unsafe extern "C" fn method_trampoline<T: JsClass>(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || {
        let args = CallArgs::read(env, info)?;
        let mut tagged = false;
        let status = napi_check_object_type_tag(env, args.this.raw(), &T::TAG, &mut tagged);
        if status != napi_ok || !tagged {
            return Err(JsError::invalid_argument(format!(
                "method called on an object that is not a {}",
                T::NAME.to_string_lossy()
            )));
        }
        let mut native: *mut c_void = ptr::null_mut();
        check(napi_unwrap(env, args.this.raw(), &mut native), "unwrap")?;
        if native.is_null() {
            return Err(JsError::invalid_argument("object has no native state"));
        }
        // SAFETY: the type tag proves this object was wrapped by constructor_trampoline::<T>,
        // and the box lives until the finalizer runs, which cannot happen while `this` is in use.
        let wrapped = &*(native as *const Wrapped<T>);
        if wrapped.busy.replace(true) {
            return Err(JsError::new("InvalidState", format!("re-entrant call into {}", T::NAME.to_string_lossy())));
        }
        let _guard = BusyGuard(&wrapped.busy);
        // SAFETY: `data` is the MethodImpl registered for this property by `define_class::<T>`.
        let f = std::mem::transmute::<*mut c_void, MethodImpl<T>>(args.data);
        // SAFETY: `busy` guarantees this is the only live reference to the inner value.
        f(&mut *wrapped.inner.get(), Env::from_raw(env), &args)
    })
}

unsafe extern "C" fn finalize<T: JsClass>(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    let _ = std::panic::catch_unwind(|| {
        if !data.is_null() {
            // SAFETY: `data` is the box created by constructor_trampoline::<T>; the GC calls this once.
            drop(Box::from_raw(data as *mut Wrapped<T>));
        }
    });
}

pub fn define_function(env: Env, name: &CStr, f: FnImpl) -> JsResult<Value> {
    let mut v = ptr::null_mut();
    let bytes = name.to_bytes();
    check(
        unsafe {
            napi_create_function(env.raw(), bytes.as_ptr().cast(), bytes.len(), Some(function_trampoline), f as *mut c_void, &mut v)
        },
        "create function",
    )?;
    Ok(Value::from_raw(v))
}

pub fn define_class<T: JsClass>(env: Env) -> JsResult<Value> {
    let props: Vec<napi_property_descriptor> = T::methods()
        .iter()
        .map(|&(name, method)| napi_property_descriptor {
            utf8name: name.as_ptr(),
            name: ptr::null_mut(),
            method: Some(method_trampoline::<T>),
            getter: None,
            setter: None,
            value: ptr::null_mut(),
            attributes: napi_default_method,
            data: method as *mut c_void,
        })
        .collect();
    let name = T::NAME.to_bytes();
    let mut v = ptr::null_mut();
    check(
        unsafe {
            napi_define_class(
                env.raw(),
                name.as_ptr().cast(),
                name.len(),
                Some(constructor_trampoline::<T>),
                ptr::null_mut(),
                props.len(),
                props.as_ptr(),
                &mut v,
            )
        },
        "define class",
    )?;
    Ok(Value::from_raw(v))
}
