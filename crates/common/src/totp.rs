//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), the second
//! factor of staff accounts, with the base32 secrets authenticator apps take.

use hmac::{KeyInit, Mac};

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !matches!(c, b' ' | b'=' | b'-')) {
        let v = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// A new secret: 160 random bits, base32.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::fill(&mut bytes);
    base32_encode(&bytes)
}

/// The code for the 30-second step containing `unix_time`.
pub fn code_at(secret: &[u8], unix_time: i64) -> u32 {
    let counter = (unix_time.max(0) / 30) as u64;
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    value % 1_000_000
}

/// Whether `code` is valid now, allowing one step of clock drift either way.
pub fn verify(secret_base32: &str, code: &str, now: i64) -> bool {
    let Some(secret) = base32_decode(secret_base32) else {
        return false;
    };
    let Ok(code) = code.trim().replace(' ', "").parse::<u32>() else {
        return false;
    };
    [-30, 0, 30].iter().any(|d| code_at(&secret, now + d) == code)
}

/// The `otpauth://` URI an authenticator app scans.
pub fn uri(secret: &str, username: &str) -> String {
    format!("otpauth://totp/Verity:{username}?secret={secret}&issuer=Verity&algorithm=SHA1&digits=6&period=30")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_vectors() {
        // RFC 6238 appendix B, SHA-1 seed "12345678901234567890", truncated to 6 digits.
        let seed = b"12345678901234567890";
        assert_eq!(code_at(seed, 59), 287082);
        assert_eq!(code_at(seed, 1111111109), 81804);
        assert_eq!(code_at(seed, 1234567890), 5924);
        assert_eq!(code_at(seed, 2000000000), 279037);
    }

    #[test]
    fn base32_round_trip_and_drift() {
        let secret = new_secret();
        let bytes = base32_decode(&secret).unwrap();
        assert_eq!(base32_encode(&bytes), secret);
        let now = 1_800_000_000;
        let code = format!("{:06}", code_at(&bytes, now - 30));
        assert!(verify(&secret, &code, now));
        assert!(!verify(&secret, &code, now + 90));
        assert!(!verify(&secret, "abcdef", now));
    }
}
