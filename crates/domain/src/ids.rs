//! Identifiers. Objects created by Verity get Mangopay-style prefixed ULIDs; identifiers that
//! arrive from callers are opaque strings and are only compared, never parsed.

use std::fmt;

macro_rules! id_type {
    ($name:ident, $prefix:expr, $doc:expr) => {
        #[doc = $doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh identifier: the prefix followed by a ULID made from `unix_millis` and
            /// `random` (the caller supplies both so the domain stays deterministic).
            pub fn generate(unix_millis: u64, random: u128) -> Self {
                Self(format!(
                    "{}{}",
                    $prefix,
                    ulid::Ulid::from_parts(unix_millis, random)
                ))
            }

            /// Wraps an identifier received from a caller or read from storage.
            pub fn from_raw(raw: impl Into<String>) -> Self {
                Self(raw.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(UserId, "user_m_", "Identifier of a natural or legal user.");
id_type!(SessionId, "idnver_", "Identifier of an IDV session.");
id_type!(CheckId, "idnchc_", "Identifier of one check of an IDV session.");
id_type!(HookId, "hook_m_", "Identifier of a webhook subscription.");
id_type!(ClientId, "", "Identifier of a platform (tenant), chosen at creation.");

impl ClientId {
    /// Client ids appear in URL paths, so they are restricted to a safe, readable alphabet.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let ok = (3..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && !raw.starts_with('-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err("a client id is 3 to 64 characters: lower-case letters, digits, '-' and '_'")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_carry_their_prefix_and_a_ulid() {
        let id = SessionId::generate(1_736_340_768_000, 42);
        assert!(id.as_str().starts_with("idnver_"));
        assert_eq!(id.as_str().len(), "idnver_".len() + 26);
        assert!(UserId::generate(0, 1).as_str().starts_with("user_m_"));
    }

    #[test]
    fn client_ids_reject_path_hostile_characters() {
        assert!(ClientId::parse("acme-shop").is_ok());
        assert!(ClientId::parse("Acme").is_err());
        assert!(ClientId::parse("a/b").is_err());
        assert!(ClientId::parse("ab").is_err());
    }
}
