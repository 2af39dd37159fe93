//! Encryption at rest. Personal data in the database is sealed with XChaCha20-Poly1305 under the
//! master key (several during a rotation: each value names its key); each file in the blob store is sealed under its own key, and that key is sealed
//! under the master key (envelope encryption), so rotating the master key only re-wraps keys.
//! Associated data binds every ciphertext to the row or blob it belongs to: a sealed value copied
//! to another record does not open.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::sync::{Arc, RwLock};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD_NO_PAD;
/// Prefix of sealed text values (`v2.KEYID.BASE64`), so a value written before encryption existed
/// still reads.
const TEXT_PREFIX: &str = "v2.";
/// Values sealed before they named their key: `v1.BASE64`.
const LEGACY_PREFIX: &str = "v1.";
const NONCE: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the master key must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("sealed data is corrupt or was sealed under another key")]
    Open,
    #[error("sealed under the master key {0}, which this process does not hold")]
    UnknownKey(String),
}

/// The key everything else is sealed under. Never printed.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    pub fn generate() -> MasterKey {
        let mut k = [0u8; 32];
        rand::fill(&mut k);
        MasterKey(k)
    }

    pub fn from_base64(text: &str) -> Result<MasterKey, SealError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .or_else(|_| B64.decode(text.trim()))
            .map_err(|_| SealError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        Ok(MasterKey(key))
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

/// A master key's public name: the first 8 hex digits of a hash of it. Written in front of every
/// value sealed under it, so a reader picks the right key and a rotation sees what is left to do.
pub type KeyId = String;

impl MasterKey {
    pub fn id(&self) -> KeyId {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        hash.update(b"verity master key id\0");
        hash.update(self.0);
        verity_common::hashing::hex(&hash.finalize()[..4])
    }
}

struct Key {
    id: KeyId,
    material: MasterKey,
    cipher: XChaCha20Poly1305,
}

impl Key {
    fn new(material: MasterKey) -> Arc<Key> {
        Arc::new(Key {
            id: material.id(),
            cipher: XChaCha20Poly1305::new((&material.0).into()),
            material,
        })
    }
}

/// The keys one process holds: the configured one, the others it learned from the database's
/// keyring (each sealed under a key it already held), and which one seals new values.
struct Keyring {
    configured: Arc<Key>,
    sealing: Arc<Key>,
    others: Vec<Arc<Key>>,
    /// Keys the fingerprints of identifiers (document numbers, search words) so the index holds
    /// none of them. Kept in the database (sealed), so it survives a master key rotation.
    fingerprint_key: [u8; 32],
    /// The database keyring's version this process has loaded (0: none yet).
    version: i64,
}

impl Keyring {
    fn find(&self, id: &str) -> Option<&Arc<Key>> {
        std::iter::once(&self.configured)
            .chain(std::iter::once(&self.sealing))
            .chain(self.others.iter())
            .find(|k| k.id == id)
    }
}

/// Seals and opens personal data. Clones share one keyring, so a key learned during a rotation
/// reaches every part of the process at once.
#[derive(Clone)]
pub struct Sealer {
    ring: Arc<RwLock<Keyring>>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer")
    }
}

fn seal_with(cipher: &XChaCha20Poly1305, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE];
    rand::fill(&mut nonce);
    let mut out = nonce.to_vec();
    // Encryption with a valid key and nonce cannot fail for inputs of this size.
    let sealed = cipher
        .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad })
        .unwrap_or_default();
    out.extend_from_slice(&sealed);
    out
}

fn open_with(cipher: &XChaCha20Poly1305, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < NONCE {
        return Err(SealError::Open);
    }
    let (nonce, body) = sealed.split_at(NONCE);
    cipher
        .decrypt(
            &XNonce::try_from(nonce).map_err(|_| SealError::Open)?,
            Payload { msg: body, aad },
        )
        .map_err(|_| SealError::Open)
}

/// The fingerprint key of databases created before it was kept in the database: derived from
/// the master key of the time, so their fingerprints stay valid.
fn derived_fingerprint_key(key: &MasterKey) -> [u8; 32] {
    use sha2::Digest;
    let mut derive = sha2::Sha256::new();
    derive.update(b"verity fingerprint key v1");
    derive.update(key.0);
    derive.finalize().into()
}

impl Sealer {
    pub fn new(key: &MasterKey) -> Sealer {
        let configured = Key::new(key.clone());
        Sealer {
            ring: Arc::new(RwLock::new(Keyring {
                sealing: configured.clone(),
                configured,
                others: Vec::new(),
                fingerprint_key: derived_fingerprint_key(key),
                version: 0,
            })),
        }
    }

    fn ring(&self) -> std::sync::RwLockReadGuard<'_, Keyring> {
        // A panic while holding the lock cannot leave the keyring half-changed (every change is
        // one assignment), so a poisoned lock is still safe to read.
        self.ring.read().unwrap_or_else(|e| e.into_inner())
    }

    fn ring_mut(&self) -> std::sync::RwLockWriteGuard<'_, Keyring> {
        self.ring.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The id of the configured master key.
    pub fn configured_key(&self) -> KeyId {
        self.ring().configured.id.clone()
    }

    /// The id of the key new values are sealed under.
    pub fn sealing_key(&self) -> KeyId {
        self.ring().sealing.id.clone()
    }

    /// Whether this process holds the key with this id.
    pub fn holds(&self, id: &str) -> bool {
        self.ring().find(id).is_some()
    }

    /// The keyring version last loaded from the database.
    pub fn keyring_version(&self) -> i64 {
        self.ring().version
    }

    pub(crate) fn set_keyring_version(&self, version: i64) {
        self.ring_mut().version = version;
    }

    /// Learns another master key (opening only, until it is made the sealing key).
    pub(crate) fn learn(&self, key: MasterKey) {
        let mut ring = self.ring_mut();
        if ring.find(&key.id()).is_none() {
            ring.others.push(Key::new(key));
        }
    }

    /// Seals new values under the held key `id`; false if this process does not hold it.
    pub(crate) fn seal_under(&self, id: &str) -> bool {
        let mut ring = self.ring_mut();
        match ring.find(id).cloned() {
            Some(key) => {
                ring.sealing = key;
                true
            }
            None => false,
        }
    }

    /// The held key `id`, sealed (as text) under the held key `under`, for the database keyring.
    pub(crate) fn wrap_key(&self, id: &str, under: &str) -> Option<String> {
        let ring = self.ring();
        let (key, wrapper) = (ring.find(id)?, ring.find(under)?);
        Some(seal_text_with(wrapper, &key.material.to_base64(), &key_aad(id)))
    }

    /// Opens a key sealed by [`Sealer::wrap_key`].
    pub(crate) fn unwrap_key(&self, id: &str, sealed: &str) -> Result<MasterKey, SealError> {
        let key = MasterKey::from_base64(&self.open_text(sealed, &key_aad(id))?).map_err(|_| SealError::Open)?;
        if key.id() != id {
            return Err(SealError::Open);
        }
        Ok(key)
    }

    /// The fingerprint key, sealed for the database.
    pub(crate) fn sealed_fingerprint_key(&self) -> String {
        let key = self.ring().fingerprint_key;
        self.seal_text(&B64.encode(key), FINGERPRINT_KEY_AAD)
    }

    /// Takes the fingerprint key kept in the database.
    pub(crate) fn use_fingerprint_key(&self, sealed: &str) -> Result<(), SealError> {
        let key = B64
            .decode(self.open_text(sealed, FINGERPRINT_KEY_AAD)?)
            .map_err(|_| SealError::Open)?;
        self.ring_mut().fingerprint_key = key.try_into().map_err(|_| SealError::Open)?;
        Ok(())
    }

    /// A keyed hash of `text` (HMAC-SHA256, hex): equal inputs give equal fingerprints, and the
    /// fingerprint tells nothing about the input without the fingerprint key.
    pub fn fingerprint(&self, text: &str) -> String {
        use hmac::{KeyInit as _, Mac};
        let key = self.ring().fingerprint_key;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("any key length");
        mac.update(text.as_bytes());
        verity_common::hashing::hex(&mac.finalize().into_bytes())
    }

    /// Seals text for a TEXT column, under the sealing key.
    pub fn seal_text(&self, text: &str, aad: &str) -> String {
        let key = self.ring().sealing.clone();
        seal_text_with(&key, text, aad)
    }

    /// Opens a sealed TEXT column; a value stored before sealing existed is returned as is.
    pub fn open_text(&self, stored: &str, aad: &str) -> Result<String, SealError> {
        let plain = |bytes: Vec<u8>| String::from_utf8(bytes).map_err(|_| SealError::Open);
        if let Some(rest) = stored.strip_prefix(TEXT_PREFIX) {
            let (id, body) = rest.split_once('.').ok_or(SealError::Open)?;
            let key = self
                .ring()
                .find(id)
                .cloned()
                .ok_or_else(|| SealError::UnknownKey(id.to_owned()))?;
            let bytes = B64.decode(body).map_err(|_| SealError::Open)?;
            return plain(open_with(&key.cipher, &bytes, aad.as_bytes())?);
        }
        if let Some(body) = stored.strip_prefix(LEGACY_PREFIX) {
            // Sealed before values named their key: under one of the keys held.
            let bytes = B64.decode(body).map_err(|_| SealError::Open)?;
            let ring = self.ring();
            let keys = std::iter::once(&ring.sealing)
                .chain(std::iter::once(&ring.configured))
                .chain(ring.others.iter());
            for key in keys {
                if let Ok(opened) = open_with(&key.cipher, &bytes, aad.as_bytes()) {
                    return plain(opened);
                }
            }
            return Err(SealError::Open);
        }
        Ok(stored.to_owned())
    }

    /// Seals a file under a fresh key of its own; returns the wrapped key and the sealed bytes.
    pub fn seal_blob(&self, bytes: &[u8], blob_id: &str) -> (String, Vec<u8>) {
        let mut key = [0u8; 32];
        rand::fill(&mut key);
        let sealed = seal_with(&XChaCha20Poly1305::new((&key).into()), bytes, blob_id.as_bytes());
        let wrapped = self.seal_text(&B64.encode(key), &format!("blob-key:{blob_id}"));
        (wrapped, sealed)
    }

    pub fn open_blob(&self, sealed: &[u8], wrapped_key: &str, blob_id: &str) -> Result<Vec<u8>, SealError> {
        let key = B64
            .decode(self.open_text(wrapped_key, &format!("blob-key:{blob_id}"))?)
            .map_err(|_| SealError::Open)?;
        let key: [u8; 32] = key.try_into().map_err(|_| SealError::Open)?;
        open_with(&XChaCha20Poly1305::new((&key).into()), sealed, blob_id.as_bytes())
    }
}

/// The id of the key a stored value is sealed under (`None`: legacy or not sealed).
pub fn sealed_under(stored: &str) -> Option<&str> {
    stored.strip_prefix(TEXT_PREFIX)?.split_once('.').map(|(id, _)| id)
}

/// The prefix of values sealed under the key `id`.
pub fn sealed_prefix(id: &str) -> String {
    format!("{TEXT_PREFIX}{id}.")
}

fn seal_text_with(key: &Key, text: &str, aad: &str) -> String {
    let sealed = seal_with(&key.cipher, text.as_bytes(), aad.as_bytes());
    format!("{TEXT_PREFIX}{}.{}", key.id, B64.encode(sealed))
}

fn key_aad(id: &str) -> String {
    format!("master-key:{id}")
}

const FINGERPRINT_KEY_AAD: &str = "fingerprint-key";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_binding() {
        let s = Sealer::new(&MasterKey::generate());
        let sealed = s.seal_text("Alex Smith", "users:1");
        assert!(!sealed.contains("Alex"));
        assert_eq!(s.open_text(&sealed, "users:1").unwrap(), "Alex Smith");
        assert!(s.open_text(&sealed, "users:2").is_err(), "bound to its row");
        assert_eq!(s.open_text("{\"plain\":1}", "users:1").unwrap(), "{\"plain\":1}");
        let other = Sealer::new(&MasterKey::generate());
        assert!(
            other.open_text(&sealed, "users:1").is_err(),
            "another key cannot open it"
        );
    }

    #[test]
    fn blobs_have_their_own_keys() {
        let s = Sealer::new(&MasterKey::generate());
        let (k1, b1) = s.seal_blob(b"same bytes", "blob1");
        let (k2, b2) = s.seal_blob(b"same bytes", "blob2");
        assert_ne!(k1, k2);
        assert_ne!(b1, b2);
        assert_eq!(s.open_blob(&b1, &k1, "blob1").unwrap(), b"same bytes");
        assert!(s.open_blob(&b1, &k1, "blob2").is_err());
        let mut tampered = b1.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(s.open_blob(&tampered, &k1, "blob1").is_err());
    }

    #[test]
    fn master_key_base64() {
        let k = MasterKey::generate();
        assert_eq!(MasterKey::from_base64(&k.to_base64()).unwrap().0, k.0);
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert_eq!(format!("{k:?}"), "MasterKey(***)");
    }

    #[test]
    fn values_name_their_key_and_a_learned_key_opens_them() {
        let old = MasterKey::generate();
        let new = MasterKey::generate();
        let before = Sealer::new(&old);
        let sealed = before.seal_text("Alex Smith", "users:1");
        assert_eq!(sealed_under(&sealed), Some(old.id().as_str()));
        let after = Sealer::new(&new);
        assert!(matches!(after.open_text(&sealed, "users:1"), Err(SealError::UnknownKey(id)) if id == old.id()));
        // The old key, wrapped under the new one as the database keyring keeps it.
        after.learn(old.clone());
        let wrapped = after.wrap_key(&old.id(), &new.id()).unwrap();
        let fresh = Sealer::new(&new);
        fresh.learn(fresh.unwrap_key(&old.id(), &wrapped).unwrap());
        assert_eq!(fresh.open_text(&sealed, "users:1").unwrap(), "Alex Smith");
        assert!(
            fresh.unwrap_key(&new.id(), &wrapped).is_err(),
            "a wrapped key is bound to its id"
        );
        // New values go under the sealing key only once told to.
        assert_eq!(sealed_under(&fresh.seal_text("x", "a")), Some(new.id().as_str()));
        assert!(fresh.seal_under(&old.id()));
        assert_eq!(sealed_under(&fresh.seal_text("x", "a")), Some(old.id().as_str()));
        assert!(!fresh.seal_under("00000000"));
    }

    #[test]
    fn legacy_values_still_open() {
        let key = MasterKey::generate();
        let s = Sealer::new(&key);
        let cipher = XChaCha20Poly1305::new((&key.0).into());
        let legacy = format!("v1.{}", B64.encode(seal_with(&cipher, b"old", b"users:1")));
        assert_eq!(s.open_text(&legacy, "users:1").unwrap(), "old");
        assert!(s.open_text(&legacy, "users:2").is_err());
    }

    #[test]
    fn the_fingerprint_key_is_kept_sealed_and_taken_back() {
        let key = MasterKey::generate();
        let a = Sealer::new(&key);
        let b = Sealer::new(&MasterKey::generate());
        assert_ne!(a.fingerprint("x"), b.fingerprint("x"));
        b.learn(key.clone());
        b.use_fingerprint_key(&a.sealed_fingerprint_key()).unwrap();
        assert_eq!(a.fingerprint("x"), b.fingerprint("x"));
    }
}
