use std::ffi::CStr;
use std::ptr;

use super::error::{check, JsError, JsResult};
use super::sys::*;

/// A JS value handle, valid for the current callback (its handle scope).
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub struct Value(napi_value);

impl Value {
    #[inline]
    pub(crate) fn from_raw(raw: napi_value) -> Self {
        Value(raw)
    }

    #[inline]
    pub(crate) fn raw(self) -> napi_value {
        self.0
    }
}

/// The environment of the current callback. Only ever created by the callback trampolines, so
/// holding one implies Node-API has been loaded and we are on the JS thread.
#[derive(Clone, Copy, Debug)]
pub struct Env(napi_env);

impl Env {
    #[inline]
    pub(crate) fn from_raw(raw: napi_env) -> Self {
        Env(raw)
    }

    #[inline]
    pub(crate) fn raw(self) -> napi_env {
        self.0
    }

    pub fn undefined(self) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_get_undefined(self.0, &mut v) }, "undefined")?;
        Ok(Value(v))
    }

    pub fn null(self) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_get_null(self.0, &mut v) }, "null")?;
        Ok(Value(v))
    }

    pub fn boolean(self, b: bool) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_get_boolean(self.0, b, &mut v) }, "boolean")?;
        Ok(Value(v))
    }

    pub fn type_of(self, v: Value) -> JsResult<napi_valuetype> {
        let mut t = napi_undefined;
        check(unsafe { napi_typeof(self.0, v.0, &mut t) }, "typeof")?;
        Ok(t)
    }

    /// `undefined` or `null`.
    pub fn is_nullish(self, v: Value) -> JsResult<bool> {
        Ok(matches!(self.type_of(v)?, napi_undefined | napi_null))
    }

    pub fn object(self) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_create_object(self.0, &mut v) }, "create object")?;
        Ok(Value(v))
    }

    pub fn set(self, object: Value, name: &CStr, value: Value) -> JsResult<()> {
        check(unsafe { napi_set_named_property(self.0, object.0, name.as_ptr(), value.0) }, "set property")
    }

    /// Reads `object[name]`; `object` must be an object (InvalidArgument naming `what` otherwise).
    pub fn get(self, object: Value, name: &CStr, what: &str) -> JsResult<Value> {
        if self.type_of(object)? != napi_object {
            return Err(JsError::invalid_argument(format!("{what} must be an object")));
        }
        let mut v = ptr::null_mut();
        check(unsafe { napi_get_named_property(self.0, object.0, name.as_ptr(), &mut v) }, what)?;
        Ok(Value(v))
    }

    pub fn array(self, len: usize) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_create_array_with_length(self.0, len, &mut v) }, "create array")?;
        Ok(Value(v))
    }

    pub fn set_index(self, array: Value, index: u32, value: Value) -> JsResult<()> {
        check(unsafe { napi_set_element(self.0, array.0, index, value.0) }, "set element")
    }

    pub fn get_index(self, array: Value, index: u32) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_get_element(self.0, array.0, index, &mut v) }, "get element")?;
        Ok(Value(v))
    }

    /// Length of a JS array (InvalidArgument naming `what` if `v` is not an array).
    pub fn array_len(self, v: Value, what: &str) -> JsResult<u32> {
        let mut is_array = false;
        check(unsafe { napi_is_array(self.0, v.0, &mut is_array) }, what)?;
        if !is_array {
            return Err(JsError::invalid_argument(format!("{what} must be an array")));
        }
        let mut len = 0;
        check(unsafe { napi_get_array_length(self.0, v.0, &mut len) }, what)?;
        Ok(len)
    }

    /// An array built from an iterator of values.
    pub fn array_from(self, items: impl ExactSizeIterator<Item = JsResult<Value>>) -> JsResult<Value> {
        let array = self.array(items.len())?;
        for (i, item) in items.enumerate() {
            self.set_index(array, i as u32, item?)?;
        }
        Ok(array)
    }
}
