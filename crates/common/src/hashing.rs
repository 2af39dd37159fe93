//! Hashes of secrets.

/// Hex SHA-256, how secrets (API keys, access tokens, console cookies) are stored.
pub fn sha256_hex(secret: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
