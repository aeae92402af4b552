//! The JS-facing surface described by lib/native/binding.ts.

mod codec;
mod convert;
mod depacketizer;
mod error;
mod local;
mod machine;
mod packetizer;
mod paths;
mod publisher;
mod remote;
mod shapes;
mod subscriber;

use crate::napi::sys::{napi_env, napi_value};
use crate::napi::{define_class, define_function, register_module, Env, JsResult, Value};

/// Module entry point, looked up by Node when the addon is loaded.
///
/// # Safety
/// Called by Node with a valid environment and exports object.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    register_module(env, exports, init)
}

/// The Node-API version this addon targets.
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    8
}

fn init(env: Env, exports: Value) -> JsResult<()> {
    shapes::Shapes::install(env)?;
    env.set(exports, c"encodePacket", define_function(env, c"encodePacket", codec::encode_packet)?)?;
    env.set(exports, c"decodePacket", define_function(env, c"decodePacket", codec::decode_packet)?)?;
    env.set(exports, c"forwardPacket", define_function(env, c"forwardPacket", codec::forward_packet)?)?;
    env.set(exports, c"forwardPacketInto", define_function(env, c"forwardPacketInto", codec::forward_packet_into)?)?;
    env.set(exports, c"__panicForTest", define_function(env, c"__panicForTest", panic_for_test)?)?;
    env.set(exports, c"Packetizer", define_class::<packetizer::JsPacketizer>(env)?)?;
    env.set(exports, c"Depacketizer", define_class::<depacketizer::JsDepacketizer>(env)?)?;
    env.set(exports, c"LocalManager", define_class::<local::JsLocalManager>(env)?)?;
    env.set(exports, c"RemoteManager", define_class::<remote::JsRemoteManager>(env)?)?;
    env.set(exports, c"Publisher", define_class::<publisher::JsPublisher>(env)?)?;
    env.set(exports, c"Subscriber", define_class::<subscriber::JsSubscriber>(env)?)?;
    Ok(())
}

fn panic_for_test(_env: Env, _args: &crate::napi::CallArgs) -> JsResult<Value> {
    panic!("__panicForTest: deliberate panic");
}
