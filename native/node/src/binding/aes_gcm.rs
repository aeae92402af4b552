//! AES-GCM for data-track E2EE. node:crypto builds a cipher object (and its key schedule) for every
//! frame; here the key schedule is built once, when a key is set, and each frame is one pass of
//! ring's AES-GCM (AES-NI/VAES and carry-less multiply where the CPU has them). Wire format as in
//! lib/e2ee/frame-cryptor.ts: ciphertext ‖ 16-byte tag, no AAD, 12-byte IV.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use napi::bindgen_prelude::{This, Uint8ArraySlice};
use napi::{Env, Unknown};
use napi_derive::napi;
use ring::aead::{Aad, LessSafeKey, Nonce, Tag, UnboundKey, AES_128_GCM, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use super::args;
use super::error::{entry, Failure, Outcome};
use super::out;
use crate::local::SealInPlace;

pub const TAG_LEN: usize = 16;

thread_local! {
    /// IVs of the frames pushFrame seals (see `next_iv`).
    static IVS: RefCell<Option<IvSource>> = const { RefCell::new(None) };
    /// Every live key by id: pushFrame names the key a frame is sealed with by its id, a number,
    /// which is read far more cheaply per frame than a class instance is unwrapped.
    static KEYS: RefCell<HashMap<u32, Rc<LessSafeKey>>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
    /// The ciphertext of the frame being opened in place, to put back if it does not authenticate.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// One AES-GCM key (16 or 32 bytes), ready to seal and open frames.
#[napi]
pub struct AesGcmKey {
    id: u32,
    key: Rc<LessSafeKey>,
}

impl Drop for AesGcmKey {
    fn drop(&mut self) {
        // try_with: a key collected while the thread's environment is torn down has nothing to leave.
        let _ = KEYS.try_with(|keys| keys.borrow_mut().remove(&self.id));
    }
}

/// Seals a queued frame in place (LocalManager::push_frame_sealed) with a key and the frame's IV.
pub struct FrameSeal {
    key: Rc<LessSafeKey>,
    iv: [u8; NONCE_LEN],
}

impl FrameSeal {
    /// The key whose `id` pushFrame was given, and a fresh IV; InvalidArgument if no such key is alive.
    pub fn new(id: u32) -> Outcome<Self> {
        let key = KEYS.with(|keys| keys.borrow().get(&id).cloned());
        let key = key.ok_or_else(|| Failure::invalid_argument(format!("no AesGcmKey with id {id}")))?;
        Ok(FrameSeal { key, iv: next_iv()? })
    }

    /// The IV this frame is sealed under (its E2EE extension carries it).
    pub fn iv(&self) -> [u8; NONCE_LEN] {
        self.iv
    }
}

/// The E2EE IVs of this thread (the SDK's only IV source: sealed pushes draw from it, and so does
/// `nextE2eeIv` for frames encrypted on their own): a random 32-bit prefix, the wall clock in ms
/// (u32) and a counter, big-endian. The counter keeps IVs unique for 2^32 frames per millisecond;
/// the prefix (new when the counter wraps) and the clock separate processes and restarts that
/// share a key.
struct IvSource {
    prefix: u32,
    counter: u32,
}

/// A fresh 12-byte E2EE IV, from the same source as sealed pushes.
#[napi(catch_unwind, js_name = "nextE2eeIv", ts_return_type = "Buffer")]
pub fn next_e2ee_iv<'e>(env: &'e Env) -> napi::Result<Unknown<'e>> {
    entry(env, || {
        let iv = next_iv()?;
        out::buffer(env, NONCE_LEN, |out| out.copy_from_slice(&iv))
    })
}

fn random_u32() -> Outcome<u32> {
    let mut bytes = [0u8; 4];
    SystemRandom::new().fill(&mut bytes).map_err(|_| Failure::new("EncryptionFailed", "no system randomness for IVs"))?;
    Ok(u32::from_be_bytes(bytes))
}

fn next_iv() -> Outcome<[u8; NONCE_LEN]> {
    IVS.with(|ivs| {
        let mut ivs = ivs.borrow_mut();
        let source = match ivs.as_mut() {
            Some(source) => source,
            None => ivs.insert(IvSource { prefix: random_u32()?, counter: 0 }),
        };
        let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u32);
        let mut iv = [0u8; NONCE_LEN];
        iv[..4].copy_from_slice(&source.prefix.to_be_bytes());
        iv[4..8].copy_from_slice(&millis.to_be_bytes());
        iv[8..].copy_from_slice(&source.counter.to_be_bytes());
        source.counter = source.counter.wrapping_add(1);
        if source.counter == 0 {
            source.prefix = random_u32()?;
        }
        Ok(iv)
    })
}

impl SealInPlace for FrameSeal {
    fn tag_len(&self) -> usize {
        TAG_LEN
    }

    fn seal(&self, frame: &mut [u8]) -> Result<(), String> {
        seal_in_place(&self.key, Nonce::assume_unique_for_key(self.iv), frame).map_err(|f| f.to_string())
    }
}

#[napi]
impl AesGcmKey {
    #[napi(catch_unwind, constructor, ts_args_type = "key: Uint8Array")]
    pub fn new<'e>(env: &'e Env, this: This<'e>, key: Unknown<'e>) -> napi::Result<Self> {
        entry(env, || {
            args::constructed::<AesGcmKey>(env, &this, "AesGcmKey")?;
            let bytes = args::bytes(&key, "key")?;
            let algorithm = match bytes.len() {
                16 => &AES_128_GCM,
                32 => &AES_256_GCM,
                n => return Err(Failure::invalid_argument(format!("an AES-GCM key is 16 or 32 bytes, not {n}"))),
            };
            let unbound = UnboundKey::new(algorithm, &bytes).map_err(|_| Failure::invalid_argument("AES-GCM key refused"))?;
            let key = Rc::new(LessSafeKey::new(unbound));
            let id = NEXT_ID.with(|next| {
                let id = next.get();
                next.set(id.wrapping_add(1).max(1));
                id
            });
            KEYS.with(|keys| keys.borrow_mut().insert(id, key.clone()));
            Ok(AesGcmKey { id, key })
        })
    }

    /// What pushFrame's `sealWith` takes to seal a frame with this key.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Its id names it no more (pushFrame's `sealWith`, Subscriber.setOpenKey): its key ring has
    /// replaced or dropped it, and the object may live on until collected. Its own methods still work.
    #[napi]
    pub fn retire(&self) {
        // try_with: as in Drop.
        let _ = KEYS.try_with(|keys| keys.borrow_mut().remove(&self.id));
    }

    /// `plaintext` encrypted under `iv`: a new Buffer of ciphertext ‖ tag.
    #[napi(catch_unwind, ts_args_type = "iv: Uint8Array, plaintext: Uint8Array", ts_return_type = "Buffer")]
    pub fn seal<'e>(&self, env: &'e Env, iv: Unknown<'e>, plaintext: Unknown<'e>) -> napi::Result<Unknown<'e>> {
        entry(env, || {
            let iv = args::bytes(&iv, "iv")?;
            let nonce = nonce(&iv).ok_or_else(|| Failure::invalid_argument(format!("iv must be {NONCE_LEN} bytes, not {}", iv.len())))?;
            let plaintext = args::bytes(&plaintext, "plaintext")?;
            let len = plaintext.len();
            let mut sealed = Ok(());
            let out = out::buffer(env, len + TAG_LEN, |out| {
                out[..len].copy_from_slice(&plaintext);
                sealed = seal_in_place(&self.key, nonce, out);
            })?;
            sealed.map_err(|reason| Failure::new("EncryptionFailed", reason))?;
            Ok(out)
        })
    }

    /// ciphertext ‖ tag decrypted under `iv`: a new Buffer of the plaintext, or null when it does
    /// not authenticate (wrong key, wrong IV, altered bytes, shorter than a tag). `sealed` is only
    /// read, so a caller may try it again with another key.
    #[napi(catch_unwind, ts_args_type = "iv: Uint8Array, sealed: Uint8Array", ts_return_type = "Buffer | null")]
    pub fn open<'e>(&self, env: &'e Env, iv: Unknown<'e>, sealed: Unknown<'e>) -> napi::Result<Option<Unknown<'e>>> {
        entry(env, || {
            let iv = args::bytes(&iv, "iv")?;
            let Some(nonce) = nonce(&iv) else { return Ok(None) };
            let sealed = args::bytes(&sealed, "sealed")?;
            let Some(len) = sealed.len().checked_sub(TAG_LEN) else { return Ok(None) };
            let (body, tag) = sealed.split_at(len);
            let mut opened = false;
            let out = out::buffer(env, len, |out| {
                out.copy_from_slice(body);
                opened = open_in_place(&self.key, nonce, tag, out);
            })?;
            Ok(opened.then_some(out))
        })
    }

    /// `open` without a new buffer, for the receive path: on success the first `sealed.length -
    /// 16` bytes of `sealed` are the plaintext and it returns true; otherwise `sealed` is put back
    /// as it was (so it can be tried with another key) and it returns false.
    #[napi(catch_unwind, ts_args_type = "iv: Uint8Array, sealed: Uint8Array")]
    pub fn open_in_place<'e>(&self, env: &'e Env, iv: Unknown<'e>, sealed: Unknown<'e>) -> napi::Result<bool> {
        entry(env, || {
            // The nonce is a copy, and the IV's borrow ends here: its bytes may even lie inside `sealed`.
            let Some(nonce) = nonce(&args::bytes(&iv, "iv")?) else { return Ok(false) };
            let mut sealed: Uint8ArraySlice = args::uint8_array(&sealed, "sealed")?;
            // SAFETY: no JS runs while this slice is alive, and no other borrow of these bytes is.
            let sealed = unsafe { sealed.as_mut() };
            let Some(len) = sealed.len().checked_sub(TAG_LEN) else { return Ok(false) };
            let (body, tag) = sealed.split_at_mut(len);
            // ring zeroes what does not authenticate, so the ciphertext is kept aside to put back.
            SCRATCH.with(|scratch| {
                let mut scratch = scratch.borrow_mut();
                scratch.clear();
                scratch.extend_from_slice(body);
                if open_in_place(&self.key, nonce, tag, body) {
                    return Ok(true);
                }
                body.copy_from_slice(&scratch);
                Ok(false)
            })
        })
    }
}

/// The keys a Subscriber opens frames with as they complete, so that a frame under a known key
/// is decrypted inside the receivePacket call that reassembled it: a separate open call per
/// frame cost more, cold at 100 Hz, than the decryption itself (README, E2EE). Per track and key
/// index, the id of the key that last opened that track's frames. A key its ring replaces is
/// retired (no longer found here); the caller still checks each opened frame's key id against the
/// ring that applies to its sender.
#[derive(Default)]
pub struct OpenKeys {
    by_track: HashMap<(u32, u8), u32>,
}

impl OpenKeys {
    /// Key id 0 forgets the entry.
    pub fn set(&mut self, track_id: u32, key_index: u8, key_id: u32) {
        if key_id == 0 {
            self.by_track.remove(&(track_id, key_index));
        } else {
            self.by_track.insert((track_id, key_index), key_id);
        }
    }

    pub fn forget_track(&mut self, track_id: u32) {
        self.by_track.retain(|&(track, _), _| track != track_id);
    }

    /// The key (and its id) for this track's frames at `key_index`, if one is set and still alive.
    pub fn key_for(&self, track_id: u32, key_index: u8) -> Option<(u32, Rc<LessSafeKey>)> {
        let id = *self.by_track.get(&(track_id, key_index))?;
        KEYS.with(|keys| keys.borrow().get(&id).cloned()).map(|key| (id, key))
    }
}

/// `out` holds a copy of `sealed` (ciphertext ‖ tag): true if it opened, the plaintext then being
/// its first `sealed.len() - TAG_LEN` bytes; otherwise the copy is made again (ring zeroes what
/// does not authenticate), so the caller can still try other keys.
pub fn open_copy_or_restore(key: &LessSafeKey, iv: [u8; NONCE_LEN], sealed: &[u8], out: &mut [u8]) -> bool {
    let Some(len) = out.len().checked_sub(TAG_LEN) else { return false };
    let (body, tag) = out.split_at_mut(len);
    if open_in_place(key, Nonce::assume_unique_for_key(iv), tag, body) {
        return true;
    }
    out.copy_from_slice(sealed);
    false
}

/// `frame` is the plaintext followed by TAG_LEN bytes of room: on return, ciphertext ‖ tag.
fn seal_in_place(key: &LessSafeKey, nonce: Nonce, frame: &mut [u8]) -> Result<(), &'static str> {
    let (body, tag_out) = frame.split_at_mut(frame.len() - TAG_LEN);
    let tag = key.seal_in_place_separate_tag(nonce, Aad::empty(), body).map_err(|_| "AES-GCM refused the frame (over its 64 GiB limit)")?;
    tag_out.copy_from_slice(tag.as_ref());
    Ok(())
}

/// Decrypts `body` in place if it authenticates under `tag` (TAG_LEN bytes); ring zeroes it if not.
fn open_in_place(key: &LessSafeKey, nonce: Nonce, tag: &[u8], body: &mut [u8]) -> bool {
    let Ok(tag) = Tag::try_from(tag) else { return false };
    key.open_in_place_separate_tag(nonce, Aad::empty(), tag, body, 0..).is_ok()
}

fn nonce(iv: &[u8]) -> Option<Nonce> {
    Some(Nonce::assume_unique_for_key(iv.try_into().ok()?))
}
