//! Raw Node-API (version 8) declarations.
//!
//! The functions are looked up at load time with `dlsym(RTLD_DEFAULT, ..)` instead of being
//! linked as undefined symbols. Node exports them from its own binary, so the lookup succeeds
//! inside Node, while `cargo test` binaries (which contain this code too) link without Node.

#![allow(non_camel_case_types, non_upper_case_globals, dead_code)]

use std::ffi::{c_char, c_void, CStr};
use std::sync::OnceLock;

#[repr(C)]
pub struct napi_env__ {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct napi_value__ {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct napi_callback_info__ {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct napi_ref__ {
    _opaque: [u8; 0],
}

pub type napi_env = *mut napi_env__;
pub type napi_value = *mut napi_value__;
pub type napi_callback_info = *mut napi_callback_info__;
pub type napi_ref = *mut napi_ref__;

pub type napi_status = i32;
pub const napi_ok: napi_status = 0;
pub const napi_invalid_arg: napi_status = 1;
pub const napi_object_expected: napi_status = 2;
pub const napi_string_expected: napi_status = 3;
pub const napi_name_expected: napi_status = 4;
pub const napi_function_expected: napi_status = 5;
pub const napi_number_expected: napi_status = 6;
pub const napi_boolean_expected: napi_status = 7;
pub const napi_array_expected: napi_status = 8;
pub const napi_generic_failure: napi_status = 9;
pub const napi_pending_exception: napi_status = 10;
pub const napi_bigint_expected: napi_status = 17;
pub const napi_no_external_buffers_allowed: napi_status = 22;

pub type napi_valuetype = i32;
pub const napi_undefined: napi_valuetype = 0;
pub const napi_null: napi_valuetype = 1;
pub const napi_boolean: napi_valuetype = 2;
pub const napi_number: napi_valuetype = 3;
pub const napi_string: napi_valuetype = 4;
pub const napi_symbol: napi_valuetype = 5;
pub const napi_object: napi_valuetype = 6;
pub const napi_function: napi_valuetype = 7;
pub const napi_external: napi_valuetype = 8;
pub const napi_bigint: napi_valuetype = 9;

pub type napi_typedarray_type = i32;
pub const napi_int8_array: napi_typedarray_type = 0;
pub const napi_uint8_array: napi_typedarray_type = 1;
pub const napi_uint8_clamped_array: napi_typedarray_type = 2;
pub const napi_int16_array: napi_typedarray_type = 3;
pub const napi_uint16_array: napi_typedarray_type = 4;
pub const napi_int32_array: napi_typedarray_type = 5;
pub const napi_uint32_array: napi_typedarray_type = 6;
pub const napi_float32_array: napi_typedarray_type = 7;
pub const napi_float64_array: napi_typedarray_type = 8;
pub const napi_bigint64_array: napi_typedarray_type = 9;
pub const napi_biguint64_array: napi_typedarray_type = 10;

pub type napi_property_attributes = i32;
pub const napi_default: napi_property_attributes = 0;
pub const napi_writable: napi_property_attributes = 1;
pub const napi_enumerable: napi_property_attributes = 2;
pub const napi_configurable: napi_property_attributes = 4;
/// Default for methods of a class defined by napi_define_class.
pub const napi_default_method: napi_property_attributes = napi_writable | napi_configurable;

pub type napi_callback = Option<unsafe extern "C" fn(env: napi_env, info: napi_callback_info) -> napi_value>;
pub type napi_finalize = Option<unsafe extern "C" fn(env: napi_env, data: *mut c_void, hint: *mut c_void)>;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct napi_property_descriptor {
    pub utf8name: *const c_char,
    pub name: napi_value,
    pub method: napi_callback,
    pub getter: napi_callback,
    pub setter: napi_callback,
    pub value: napi_value,
    pub attributes: napi_property_attributes,
    pub data: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct napi_type_tag {
    pub lower: u64,
    pub upper: u64,
}

extern "C" {
    // From libc; RTLD_DEFAULT is a null handle on glibc and musl.
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
}

#[cfg(target_os = "macos")]
const RTLD_DEFAULT: *mut c_void = -2isize as *mut c_void;
#[cfg(not(target_os = "macos"))]
const RTLD_DEFAULT: *mut c_void = std::ptr::null_mut();

macro_rules! napi_functions {
    ($( fn $name:ident ( $( $arg:ident : $ty:ty ),* $(,)? ); )*) => {
        /// Addresses of the Node-API functions, resolved once.
        struct Table {
            $( $name: unsafe extern "C" fn($($ty),*) -> napi_status, )*
        }

        static TABLE: OnceLock<Table> = OnceLock::new();

        /// Resolves every function; on failure names the first one missing.
        pub fn load() -> Result<(), &'static CStr> {
            if TABLE.get().is_some() {
                return Ok(());
            }
            let table = Table {
                $( $name: {
                    let sym = concat!(stringify!($name), "\0");
                    // SAFETY: the string is NUL-terminated.
                    let ptr = unsafe { dlsym(RTLD_DEFAULT, sym.as_ptr() as *const c_char) };
                    if ptr.is_null() {
                        // SAFETY: the string is NUL-terminated and has no interior NUL.
                        return Err(unsafe { CStr::from_bytes_with_nul_unchecked(sym.as_bytes()) });
                    }
                    // SAFETY: Node exports this symbol with exactly this C signature.
                    unsafe { std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($ty),*) -> napi_status>(ptr) }
                }, )*
            };
            let _ = TABLE.set(table);
            Ok(())
        }

        /// Whether `load` succeeded (false in plain Rust test binaries).
        pub fn is_loaded() -> bool {
            TABLE.get().is_some()
        }

        #[inline(always)]
        fn table() -> &'static Table {
            match TABLE.get() {
                Some(t) => t,
                // Every caller runs inside a callback registered after a successful `load`.
                None => std::process::abort(),
            }
        }

        $(
            /// # Safety
            /// Same contract as the Node-API function of this name; Node-API must be loaded.
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            pub unsafe fn $name($($arg: $ty),*) -> napi_status {
                (table().$name)($($arg),*)
            }
        )*
    };
}

napi_functions! {
    fn napi_get_undefined(env: napi_env, result: *mut napi_value);
    fn napi_get_null(env: napi_env, result: *mut napi_value);
    fn napi_get_boolean(env: napi_env, value: bool, result: *mut napi_value);
    fn napi_get_value_bool(env: napi_env, value: napi_value, result: *mut bool);
    fn napi_typeof(env: napi_env, value: napi_value, result: *mut napi_valuetype);

    fn napi_create_object(env: napi_env, result: *mut napi_value);
    fn napi_create_array_with_length(env: napi_env, length: usize, result: *mut napi_value);
    fn napi_is_array(env: napi_env, value: napi_value, result: *mut bool);
    fn napi_get_array_length(env: napi_env, value: napi_value, result: *mut u32);
    fn napi_set_element(env: napi_env, object: napi_value, index: u32, value: napi_value);
    fn napi_get_element(env: napi_env, object: napi_value, index: u32, result: *mut napi_value);
    fn napi_set_named_property(env: napi_env, object: napi_value, utf8name: *const c_char, value: napi_value);
    fn napi_get_named_property(env: napi_env, object: napi_value, utf8name: *const c_char, result: *mut napi_value);

    fn napi_create_uint32(env: napi_env, value: u32, result: *mut napi_value);
    fn napi_create_double(env: napi_env, value: f64, result: *mut napi_value);
    fn napi_get_value_double(env: napi_env, value: napi_value, result: *mut f64);
    fn napi_create_bigint_uint64(env: napi_env, value: u64, result: *mut napi_value);
    fn napi_get_value_bigint_uint64(env: napi_env, value: napi_value, result: *mut u64, lossless: *mut bool);
    fn napi_create_string_utf8(env: napi_env, str: *const c_char, length: usize, result: *mut napi_value);
    fn napi_get_value_string_utf8(env: napi_env, value: napi_value, buf: *mut c_char, bufsize: usize, result: *mut usize);

    fn napi_get_typedarray_info(env: napi_env, typedarray: napi_value, type_: *mut napi_typedarray_type, length: *mut usize, data: *mut *mut c_void, arraybuffer: *mut napi_value, byte_offset: *mut usize);
    fn napi_create_arraybuffer(env: napi_env, byte_length: usize, data: *mut *mut c_void, result: *mut napi_value);
    fn napi_get_arraybuffer_info(env: napi_env, arraybuffer: napi_value, data: *mut *mut c_void, byte_length: *mut usize);
    fn napi_is_arraybuffer(env: napi_env, value: napi_value, result: *mut bool);
    fn napi_get_dataview_info(env: napi_env, dataview: napi_value, bytelength: *mut usize, data: *mut *mut c_void, arraybuffer: *mut napi_value, byte_offset: *mut usize);
    fn napi_is_dataview(env: napi_env, value: napi_value, result: *mut bool);

    fn napi_create_error(env: napi_env, code: napi_value, msg: napi_value, result: *mut napi_value);
    fn napi_throw(env: napi_env, error: napi_value);
    fn napi_throw_error(env: napi_env, code: *const c_char, msg: *const c_char);
    fn napi_is_exception_pending(env: napi_env, result: *mut bool);

    fn napi_get_cb_info(env: napi_env, cbinfo: napi_callback_info, argc: *mut usize, argv: *mut napi_value, this_arg: *mut napi_value, data: *mut *mut c_void);
    fn napi_get_new_target(env: napi_env, cbinfo: napi_callback_info, result: *mut napi_value);
    fn napi_create_function(env: napi_env, utf8name: *const c_char, length: usize, cb: napi_callback, data: *mut c_void, result: *mut napi_value);
    fn napi_define_class(env: napi_env, utf8name: *const c_char, length: usize, constructor: napi_callback, data: *mut c_void, property_count: usize, properties: *const napi_property_descriptor, result: *mut napi_value);
    fn napi_wrap(env: napi_env, js_object: napi_value, native_object: *mut c_void, finalize_cb: napi_finalize, finalize_hint: *mut c_void, result: *mut napi_ref);
    fn napi_unwrap(env: napi_env, js_object: napi_value, result: *mut *mut c_void);
    fn napi_type_tag_object(env: napi_env, value: napi_value, type_tag: *const napi_type_tag);
    fn napi_check_object_type_tag(env: napi_env, value: napi_value, type_tag: *const napi_type_tag, result: *mut bool);

    fn napi_run_script(env: napi_env, script: napi_value, result: *mut napi_value);
    fn napi_call_function(env: napi_env, recv: napi_value, func: napi_value, argc: usize, argv: *const napi_value, result: *mut napi_value);
    fn napi_create_reference(env: napi_env, value: napi_value, initial_refcount: u32, result: *mut napi_ref);
    fn napi_get_reference_value(env: napi_env, reference: napi_ref, result: *mut napi_value);
    fn napi_delete_reference(env: napi_env, reference: napi_ref);
    fn napi_is_detached_arraybuffer(env: napi_env, value: napi_value, result: *mut bool);
    fn napi_set_instance_data(env: napi_env, data: *mut c_void, finalize_cb: napi_finalize, finalize_hint: *mut c_void);
    fn napi_get_instance_data(env: napi_env, data: *mut *mut c_void);
}

#[cfg(test)]
mod tests {
    #[test]
    fn not_resolvable_without_node() {
        // Plain test binaries do not export napi symbols, so loading fails cleanly by name.
        assert_eq!(super::load().unwrap_err().to_str().unwrap(), "napi_get_undefined");
        assert!(!super::is_loaded());
    }
}
