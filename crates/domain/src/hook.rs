//! Hooks: a platform's subscription of one URL to one event type.

use crate::ids::HookId;
use crate::validation::FieldErrors;
use crate::{ClientId, UnixTime};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hook {
    pub id: HookId,
    pub client_id: ClientId,
    pub event_type: String,
    pub url: String,
    /// `ENABLED` or `DISABLED`, set by the platform.
    pub enabled: bool,
    /// `VALID` or `INVALID`: a hook turns invalid after too many consecutive failed deliveries.
    pub valid: bool,
    pub tag: Option<String>,
    pub created_at: UnixTime,
}

impl Hook {
    pub fn status(&self) -> &'static str {
        if self.enabled { "ENABLED" } else { "DISABLED" }
    }
    pub fn validity(&self) -> &'static str {
        if self.valid { "VALID" } else { "INVALID" }
    }
}

/// Checks a hook URL: absolute http(s), at most 255 characters. When `public_only`, the host may
/// not be a loopback, private, link-local or otherwise internal address or name.
pub fn check_url(url: &str, public_only: bool) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    if url.chars().count() > 255 {
        e.max_len("Url", 255);
        return Err(e);
    }
    let parsed = match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
        _ => {
            e.add("Url", "The Url field must be an absolute http or https URL.");
            return Err(e);
        }
    };
    if public_only {
        let internal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => !is_public_ip(ip.into()),
            Some(url::Host::Ipv6(ip)) => !is_public_ip(ip.into()),
            Some(url::Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost"
                    || d.ends_with(".localhost")
                    || d.ends_with(".local")
                    || d.ends_with(".internal")
                    || !d.contains('.')
            }
            None => true,
        };
        if internal {
            e.add("Url", "The Url must point to a public address.");
            return Err(e);
        }
    }
    Ok(())
}

/// Whether an address is reachable on the public internet (not loopback, private, link-local,
/// shared, documentation, multicast or unspecified). Production webhooks may only go there.
pub fn is_public_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240)
        }
        std::net::IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_ip(v4.into());
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_targets_are_refused_for_public_only() {
        for url in [
            "http://127.0.0.1:9000/h",
            "http://localhost/h",
            "http://10.1.2.3/",
            "http://[::1]/",
            "http://169.254.169.254/",
            "http://printer/",
            "http://[::ffff:192.168.1.1]/",
        ] {
            assert!(check_url(url, true).is_err(), "{url}");
            assert!(check_url(url, false).is_ok(), "{url}");
        }
        assert!(check_url("https://hooks.example.com/kyc", true).is_ok());
        assert!(check_url("ftp://example.com", false).is_err());
    }
}
