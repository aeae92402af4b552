//! How failures reach JavaScript: a plain `Error` whose string `code` is a NativeErrorCode
//! (binding.ts), sometimes with one numeric property (`extTag`, `version`). Every entry point
//! runs its body through `entry`, which also turns a panic into `code: 'Panic'`. napi-rs's own
//! `catch_unwind` (on every `#[napi]` fn) is only the backstop for its generated glue: it would
//! report our panics as `GenericFailure`.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use napi::bindgen_prelude::JsObjectValue;
use napi::{Env, Status};

use crate::local::{LocalManagerError, PacketizeError};
use crate::packet::DeserializeError;
use crate::remote::RemoteManagerError;

/// Why a call failed.
pub enum Failure {
    /// A JS exception is already pending (a getter threw while we read an argument): it
    /// propagates unchanged.
    Pending(napi::Error),
    Coded { code: &'static str, message: String, property: Option<(&'static str, u32)> },
}

pub type Outcome<T> = Result<T, Failure>;

impl Failure {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Failure::Coded { code, message: message.into(), property: None }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Failure::new("InvalidArgument", message)
    }

    fn with_property(self, name: &'static str, value: u32) -> Self {
        match self {
            Failure::Coded { code, message, .. } => Failure::Coded { code, message, property: Some((name, value)) },
            pending => pending,
        }
    }

    /// A JS getter called back into the object whose method is reading its arguments.
    pub fn reentrant(class: &str) -> Self {
        Failure::new("InvalidState", format!("{class} method called re-entrantly (from a getter of its own arguments)"))
    }

    fn from_panic(payload: Box<dyn Any + Send>) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_string());
        match PANIC_LOCATION.with(|l| l.borrow_mut().take()) {
            Some(at) => Failure::new("Panic", format!("native panic at {at}: {message}")),
            None => Failure::new("Panic", format!("native panic: {message}")),
        }
    }

    /// Throws this failure into `env` and returns the napi-rs error that tells the generated
    /// glue an exception is already pending.
    fn throw(self, env: &Env) -> napi::Error {
        let (code, message, property) = match self {
            Failure::Pending(e) => return e,
            Failure::Coded { code, message, property } => (code, message, property),
        };
        let thrown = (|| -> napi::Result<()> {
            let mut error = env.create_error(napi::Error::new(Status::GenericFailure, message.clone()))?;
            error.set_named_property("code", code)?;
            if let Some((name, value)) = property {
                error.set_named_property(name, value)?;
            }
            env.throw(error)
        })();
        match thrown {
            Ok(()) => napi::Error::new(Status::PendingException, message),
            // Nothing pending after all (the env could not build the object): let napi-rs throw a
            // plain error rather than nothing.
            Err(_) => napi::Error::new(Status::GenericFailure, format!("{code}: {message}")),
        }
    }
}

/// napi-rs errors from reading arguments: a pending exception (a throwing getter) stays as it
/// is; anything else is a value of the wrong type.
impl From<napi::Error> for Failure {
    fn from(e: napi::Error) -> Self {
        if e.status == Status::PendingException {
            Failure::Pending(e)
        } else {
            Failure::invalid_argument(e.reason.clone())
        }
    }
}

impl From<DeserializeError> for Failure {
    fn from(e: DeserializeError) -> Self {
        let failure = Failure::new(e.code(), e.to_string());
        match e {
            DeserializeError::MalformedExt(tag) => failure.with_property("extTag", tag.into()),
            DeserializeError::UnsupportedVersion(v) => failure.with_property("version", v.into()),
            _ => failure,
        }
    }
}

impl From<PacketizeError> for Failure {
    fn from(e: PacketizeError) -> Self {
        match e {
            PacketizeError::MtuTooShort { .. } => Failure::new("MtuTooShort", e.to_string()),
        }
    }
}

impl From<LocalManagerError> for Failure {
    fn from(e: LocalManagerError) -> Self {
        let code = match &e {
            LocalManagerError::LimitReached => "LimitReached",
            LocalManagerError::UnknownTrack(_) => "UnknownTrack",
            LocalManagerError::InvalidState { .. } => "InvalidState",
            LocalManagerError::InvalidArgument(_) => "InvalidArgument",
            LocalManagerError::SealFailed(_) => "EncryptionFailed",
        };
        Failure::new(code, e.to_string())
    }
}

impl From<RemoteManagerError> for Failure {
    fn from(e: RemoteManagerError) -> Self {
        match e {
            RemoteManagerError::UnknownTrack(_) => Failure::new("UnknownTrack", e.to_string()),
        }
    }
}

thread_local! {
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replaces the default hook (which prints to stderr) with one that remembers where the panic
/// happened, so the thrown error can say it: every panic of ours is caught and reported.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let at = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
            let _ = PANIC_LOCATION.try_with(|slot| {
                if let Ok(mut slot) = slot.try_borrow_mut() {
                    *slot = at;
                }
            });
        }));
    });
}

/// Runs the body of an entry point: its failure, or a panic, is thrown as a JS error and
/// nothing unwinds into Node.
pub fn entry<T>(env: &Env, body: impl FnOnce() -> Outcome<T>) -> napi::Result<T> {
    install_panic_hook();
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(failure)) => failure,
        Err(payload) => catch_unwind(AssertUnwindSafe(|| Failure::from_panic(payload)))
            .unwrap_or_else(|_| Failure::new("Panic", "native panic")),
    };
    // Building the error allocates; even a panic there must not unwind into Node.
    Err(catch_unwind(AssertUnwindSafe(|| failure.throw(env)))
        .unwrap_or_else(|_| napi::Error::new(Status::GenericFailure, "Panic: native panic while throwing")))
}

/// Runs an entry point on a class's state. A re-entrant call (a JS getter calling back into the
/// same object while it works) is refused, so the `&mut` is never aliased.
pub fn with_state<S, T>(env: &Env, state: &RefCell<S>, class: &str, body: impl FnOnce(&mut S) -> Outcome<T>) -> napi::Result<T> {
    entry(env, || {
        let mut state = state.try_borrow_mut().map_err(|_| Failure::reentrant(class))?;
        body(&mut state)
    })
}
