//! JS arguments to Rust values. Arguments arrive as `Unknown` and are checked here rather than
//! by napi-rs's conversions, so that every wrong type or range is an `InvalidArgument` naming
//! the argument.

use std::ops::Deref;
use std::ptr;

use napi::bindgen_prelude::{
    ArrayBuffer, BigInt, BigUint64ArraySlice, FromNapiValue, JavaScriptClassExt, JsObjectValue, Object, TypedArray, Uint32ArraySlice,
    Uint8ArraySlice,
};
use napi::{check_status, sys, JsValue, Unknown, ValueType};

use super::error::{Failure, Outcome};
use crate::packet::{E2eeExt, Extensions, FrameMarker, Header};

/// napi-rs runs a class constructor called without `new` too, and would wrap its receiver (say,
/// the exports object); only an instance under construction passes.
pub fn constructed<T: JavaScriptClassExt>(env: &napi::Env, this: &Object, class: &str) -> Outcome<()> {
    if !T::instance_of(env, this)? {
        return Err(Failure::invalid_argument(format!("{class} must be called with new")));
    }
    Ok(())
}

fn type_of(v: &Unknown) -> Outcome<ValueType> {
    Ok(v.get_type()?)
}

/// `undefined` or `null` (an omitted argument is `undefined`).
pub fn is_nullish(v: &Unknown) -> Outcome<bool> {
    Ok(matches!(type_of(v)?, ValueType::Undefined | ValueType::Null))
}

fn expect_type(v: &Unknown, ty: ValueType, what: &str, kind: &str) -> Outcome<()> {
    if type_of(v)? == ty {
        Ok(())
    } else {
        Err(Failure::invalid_argument(format!("{what} must be {kind}")))
    }
}

pub fn number(v: &Unknown, what: &str) -> Outcome<f64> {
    expect_type(v, ValueType::Number, what, "a number")?;
    Ok(f64::from_unknown(*v)?)
}

/// An integer in `min..=max`.
pub fn integer_in(v: &Unknown, what: &str, min: u32, max: u32) -> Outcome<u32> {
    let n = number(v, what)?;
    if n.fract() != 0.0 || n < f64::from(min) || n > f64::from(max) {
        return Err(Failure::invalid_argument(format!("{what} must be an integer in {min}..={max}")));
    }
    Ok(n as u32)
}

pub fn u16_in(v: &Unknown, what: &str, min: u16) -> Outcome<u16> {
    Ok(integer_in(v, what, min.into(), u16::MAX.into())? as u16)
}

/// A non-negative safe integer, as a size.
pub fn size(v: &Unknown, what: &str) -> Outcome<usize> {
    let n = number(v, what)?;
    if n.fract() != 0.0 || !(0.0..=9_007_199_254_740_991.0).contains(&n) {
        return Err(Failure::invalid_argument(format!("{what} must be a non-negative integer")));
    }
    Ok(usize::try_from(n as u64).unwrap_or(usize::MAX))
}

pub fn string(v: &Unknown, what: &str) -> Outcome<String> {
    expect_type(v, ValueType::String, what, "a string")?;
    Ok(String::from_unknown(*v)?)
}

pub fn boolean(v: &Unknown, what: &str) -> Outcome<bool> {
    expect_type(v, ValueType::Boolean, what, "a boolean")?;
    Ok(bool::from_unknown(*v)?)
}

/// A BigInt in 0..2^64.
fn bigint_u64(v: &Unknown, what: &str) -> Outcome<u64> {
    expect_type(v, ValueType::BigInt, what, "a bigint")?;
    let b = BigInt::from_unknown(*v)?;
    match b.words.as_slice() {
        [] if !b.sign_bit => Ok(0),
        [w] if !b.sign_bit => Ok(*w),
        _ => Err(Failure::invalid_argument(format!("{what} must be a bigint in 0..2^64"))),
    }
}

pub fn object<'a>(v: &Unknown<'a>, what: &str) -> Outcome<Object<'a>> {
    expect_type(v, ValueType::Object, what, "an object")?;
    Ok(Object::from_unknown(*v)?)
}

/// `o[name]`; a throwing getter's exception propagates.
pub fn property<'a>(o: &Object<'a>, name: &str) -> Outcome<Unknown<'a>> {
    Ok(o.get_named_property_unchecked::<Unknown>(name)?)
}

/// The elements of a JS array.
pub fn array<'a>(v: &Unknown<'a>, what: &str) -> Outcome<Vec<Unknown<'a>>> {
    if type_of(v)? != ValueType::Object || !v.is_array()? {
        return Err(Failure::invalid_argument(format!("{what} must be an array")));
    }
    let o = Object::from_unknown(*v)?;
    (0..o.get_array_length()?).map(|i| Ok(o.get_element::<Unknown>(i)?)).collect()
}

/// The bytes of any ArrayBuffer view or ArrayBuffer, borrowed from JS. Reading them runs no JS,
/// but the borrow must end before any JS can run (a getter could detach or resize the buffer):
/// read arguments that are objects with properties first.
pub enum Bytes<'a> {
    View(TypedArray<'a>),
    Whole(ArrayBuffer<'a>),
    DataView { buffer: ArrayBuffer<'a>, start: usize, end: usize },
}

impl Deref for Bytes<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::View(view) => &view.arraybuffer,
            Bytes::Whole(buffer) => buffer,
            Bytes::DataView { buffer, start, end } => buffer.get(*start..*end).unwrap_or(&[]),
        }
    }
}

pub fn bytes<'a>(v: &Unknown<'a>, what: &str) -> Outcome<Bytes<'a>> {
    if type_of(v)? == ValueType::Object {
        if v.is_typedarray()? {
            return Ok(Bytes::View(TypedArray::from_unknown(*v)?));
        }
        if v.is_arraybuffer()? {
            return Ok(Bytes::Whole(ArrayBuffer::from_unknown(*v)?));
        }
        if v.is_dataview()? {
            return dataview(v);
        }
    }
    Err(Failure::invalid_argument(format!("{what} must be a TypedArray, DataView or ArrayBuffer")))
}

/// napi-rs reads DataViews only in its compat mode, and asking the view's own accessors would run
/// JS (they can be redefined) while other arguments' bytes may already be borrowed.
fn dataview<'a>(v: &Unknown<'a>) -> Outcome<Bytes<'a>> {
    let env = v.value().env;
    let (mut len, mut data, mut buffer, mut start) = (0usize, ptr::null_mut(), ptr::null_mut(), 0usize);
    // SAFETY: `v` is a DataView (checked by the caller) of the running callback's env; the
    // out-pointers are valid.
    check_status!(unsafe { sys::napi_get_dataview_info(env, v.raw(), &mut len, &mut data, &mut buffer, &mut start) })?;
    // SAFETY: Node-API just returned `buffer` as the DataView's ArrayBuffer.
    let buffer = unsafe { ArrayBuffer::from_napi_value(env, buffer) }?;
    Ok(Bytes::DataView { buffer, start, end: start.saturating_add(len) })
}

/// A Uint8Array (Buffers included) that the addon may write into.
pub fn uint8_array<'a>(v: &Unknown<'a>, what: &str) -> Outcome<Uint8ArraySlice<'a>> {
    if type_of(v)? == ValueType::Object && v.is_typedarray()? {
        if let Ok(array) = Uint8ArraySlice::from_unknown(*v) {
            return Ok(array);
        }
    }
    Err(Failure::invalid_argument(format!("{what} must be a Uint8Array")))
}

pub fn uint32_array<'a>(v: &Unknown<'a>, what: &str) -> Outcome<Uint32ArraySlice<'a>> {
    if type_of(v)? == ValueType::Object && v.is_typedarray()? {
        if let Ok(array) = Uint32ArraySlice::from_unknown(*v) {
            return Ok(array);
        }
    }
    Err(Failure::invalid_argument(format!("{what} must be a Uint32Array")))
}

pub fn biguint64_array<'a>(v: &Unknown<'a>, what: &str) -> Outcome<BigUint64ArraySlice<'a>> {
    if type_of(v)? == ValueType::Object && v.is_typedarray()? {
        if let Ok(array) = BigUint64ArraySlice::from_unknown(*v) {
            return Ok(array);
        }
    }
    Err(Failure::invalid_argument(format!("{what} must be a BigUint64Array")))
}

/// A frame's optional user timestamp (a bigint; undefined counts as null).
pub fn user_timestamp(v: &Unknown) -> Outcome<Option<u64>> {
    if is_nullish(v)? {
        Ok(None)
    } else {
        Ok(Some(bigint_u64(v, "userTimestamp")?))
    }
}

/// `userTimestamp: bigint | null` and `e2ee: {keyIndex, iv} | null` (undefined counts as null).
pub fn extensions(user_timestamp: &Unknown, e2ee: &Unknown) -> Outcome<Extensions> {
    let user_timestamp = self::user_timestamp(user_timestamp)?;
    let e2ee = if is_nullish(e2ee)? {
        None
    } else {
        let o = object(e2ee, "e2ee")?;
        let key_index = integer_in(&property(&o, "keyIndex")?, "e2ee.keyIndex", 0, 255)? as u8;
        let iv = bytes(&property(&o, "iv")?, "e2ee.iv")?;
        let iv = <[u8; 12]>::try_from(&*iv).map_err(|_| Failure::invalid_argument("e2ee.iv must be 12 bytes"))?;
        Some(E2eeExt { key_index, iv })
    };
    Ok(Extensions { e2ee, user_timestamp })
}

pub fn header(v: &Unknown) -> Outcome<Header> {
    let o = object(v, "header")?;
    let marker = string(&property(&o, "marker")?, "header.marker")?;
    let marker = FrameMarker::parse(&marker)
        .ok_or_else(|| Failure::invalid_argument("header.marker must be 'single', 'start', 'inter' or 'final'"))?;
    let handle = u16_in(&property(&o, "handle")?, "header.handle", 1)?;
    let sequence = u16_in(&property(&o, "sequence")?, "header.sequence", 0)?;
    let frame_number = u16_in(&property(&o, "frameNumber")?, "header.frameNumber", 0)?;
    let timestamp = integer_in(&property(&o, "timestamp")?, "header.timestamp", 0, u32::MAX)?;
    let extensions = extensions(&property(&o, "userTimestamp")?, &property(&o, "e2ee")?)?;
    Ok(Header { marker, handle, sequence, frame_number, timestamp, extensions })
}

/// A publisher handle argument: 1..65535 (0 is never a handle on the wire).
pub fn handle(v: &Unknown) -> Outcome<u16> {
    u16_in(v, "handle", 1)
}
