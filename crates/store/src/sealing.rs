//! Encryption at rest. Personal data in the database is sealed with XChaCha20-Poly1305 under the
//! master key; each file in the blob store is sealed under its own key, and that key is sealed
//! under the master key (envelope encryption), so rotating the master key only re-wraps keys.
//! Associated data binds every ciphertext to the row or blob it belongs to: a sealed value copied
//! to another record does not open.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD_NO_PAD;
/// Prefix of sealed text values, so a value written before encryption existed still reads.
const TEXT_PREFIX: &str = "v1.";
const NONCE: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the master key must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("sealed data is corrupt or was sealed under another key")]
    Open,
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

#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    /// Keys the fingerprints of identifiers (document numbers) so the index holds no number.
    fingerprint_key: [u8; 32],
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

impl Sealer {
    pub fn new(key: &MasterKey) -> Sealer {
        use sha2::Digest;
        let mut derive = sha2::Sha256::new();
        derive.update(b"verity fingerprint key v1");
        derive.update(key.0);
        Sealer {
            cipher: XChaCha20Poly1305::new((&key.0).into()),
            fingerprint_key: derive.finalize().into(),
        }
    }

    /// A keyed hash of `text` (HMAC-SHA256, hex): equal inputs give equal fingerprints, and the
    /// fingerprint tells nothing about the input without the master key.
    pub fn fingerprint(&self, text: &str) -> String {
        use hmac::{KeyInit as _, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.fingerprint_key).expect("any key length");
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn seal(&self, plaintext: &[u8], aad: &str) -> Vec<u8> {
        seal_with(&self.cipher, plaintext, aad.as_bytes())
    }

    pub fn open(&self, sealed: &[u8], aad: &str) -> Result<Vec<u8>, SealError> {
        open_with(&self.cipher, sealed, aad.as_bytes())
    }

    /// Seals text for a TEXT column.
    pub fn seal_text(&self, text: &str, aad: &str) -> String {
        format!("{TEXT_PREFIX}{}", B64.encode(self.seal(text.as_bytes(), aad)))
    }

    /// Opens a sealed TEXT column; a value stored before sealing existed is returned as is.
    pub fn open_text(&self, stored: &str, aad: &str) -> Result<String, SealError> {
        match stored.strip_prefix(TEXT_PREFIX) {
            Some(body) => {
                let bytes = B64.decode(body).map_err(|_| SealError::Open)?;
                String::from_utf8(self.open(&bytes, aad)?).map_err(|_| SealError::Open)
            }
            None => Ok(stored.to_owned()),
        }
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
}
