use std::any::Any;
use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::Once;

use super::env::Value;
use super::sys::*;

/// An error on its way to JS: thrown as an `Error` whose `code` property is `code`, with an
/// optional extra numeric property (such as `extTag`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsError {
    pub code: &'static str,
    pub message: String,
    pub extra: Option<(&'static CStr, u32)>,
}

pub type JsResult<T> = Result<T, JsError>;

impl JsError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        JsError { code, message: message.into(), extra: None }
    }

    pub fn with_property(mut self, name: &'static CStr, value: u32) -> Self {
        self.extra = Some((name, value));
        self
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        JsError::new("InvalidArgument", message)
    }

    /// A failed napi call. A status of "X expected" means the caller passed the wrong type.
    pub fn from_status(status: napi_status, what: &str) -> Self {
        let kind = match status {
            napi_object_expected => "an object",
            napi_string_expected => "a string",
            napi_number_expected => "a number",
            napi_boolean_expected => "a boolean",
            napi_array_expected => "an array",
            napi_bigint_expected => "a bigint",
            napi_pending_exception => "no pending exception",
            _ => "",
        };
        if kind.is_empty() {
            JsError::invalid_argument(format!("{what}: Node-API call failed with status {status}"))
        } else {
            JsError::invalid_argument(format!("{what}: expected {kind}"))
        }
    }

    fn from_panic(payload: Box<dyn Any + Send>) -> Self {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_string());
        let location = LAST_PANIC_LOCATION.with(|l| l.borrow_mut().take());
        match location {
            Some(at) => JsError::new("Panic", format!("native panic at {at}: {msg}")),
            None => JsError::new("Panic", format!("native panic: {msg}")),
        }
    }
}

#[inline]
pub(crate) fn check(status: napi_status, what: &str) -> JsResult<()> {
    if status == napi_ok {
        Ok(())
    } else {
        Err(JsError::from_status(status, what))
    }
}

thread_local! {
    static LAST_PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replaces the default hook (which prints to stderr) with one that remembers where the panic
/// happened, so the thrown JS error can say it. Panics inside the addon are always caught.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let at = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
            let _ = LAST_PANIC_LOCATION.try_with(|slot| {
                if let Ok(mut slot) = slot.try_borrow_mut() {
                    *slot = at;
                }
            });
        }));
    });
}

/// Runs an entry point: a returned error or a panic becomes a thrown JS error, and nothing
/// unwinds into Node.
///
/// # Safety
/// `env` must be the environment of the current callback.
pub(crate) unsafe fn boundary(env: napi_env, f: impl FnOnce() -> JsResult<Value>) -> napi_value {
    let err = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => return value.raw(),
        Ok(Err(err)) => err,
        Err(payload) => catch_unwind(AssertUnwindSafe(|| JsError::from_panic(payload)))
            .unwrap_or_else(|_| JsError::new("Panic", "native panic")),
    };
    // Throwing allocates and formats; even a panic there must not unwind into Node.
    let _ = catch_unwind(AssertUnwindSafe(|| throw(env, &err)));
    ptr::null_mut()
}

/// Throws `err` unless a JS exception is already pending (for example one raised by a getter
/// while we read an argument), which then propagates unchanged.
unsafe fn throw(env: napi_env, err: &JsError) {
    let mut pending = false;
    if napi_is_exception_pending(env, &mut pending) == napi_ok && pending {
        return;
    }
    if try_throw(env, err).is_none() {
        let code = CString::new(err.code).unwrap_or_default();
        let msg = CString::new(err.message.replace('\0', " ")).unwrap_or_default();
        napi_throw_error(env, code.as_ptr(), msg.as_ptr());
    }
}

unsafe fn try_throw(env: napi_env, err: &JsError) -> Option<()> {
    let string = |s: &str| {
        let mut v = ptr::null_mut();
        (napi_create_string_utf8(env, s.as_ptr().cast(), s.len(), &mut v) == napi_ok).then_some(v)
    };
    let code = string(err.code)?;
    let msg = string(&err.message)?;
    let mut error = ptr::null_mut();
    // napi_create_error sets `error.code` from `code`.
    if napi_create_error(env, code, msg, &mut error) != napi_ok {
        return None;
    }
    if let Some((name, value)) = err.extra {
        let mut v = ptr::null_mut();
        if napi_create_uint32(env, value, &mut v) == napi_ok {
            napi_set_named_property(env, error, name.as_ptr(), v);
        }
    }
    (napi_throw(env, error) == napi_ok).then_some(())
}
