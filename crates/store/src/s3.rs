//! The S3-compatible blob store (AWS S3, MinIO, Ceph, Garage, ...), with path-style addressing and
//! AWS Signature Version 4, written directly on the HTTP client to keep the build small.

use std::io;

use async_trait::async_trait;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::blobs::BlobStore;

#[derive(Clone, Debug)]
pub struct S3Config {
    /// `https://s3.eu-west-3.amazonaws.com` or `http://127.0.0.1:9000`.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// Prefix of every object key, e.g. `verity/`.
    pub prefix: String,
}

pub struct S3Blobs {
    config: S3Config,
    host: String,
    http: reqwest::Client,
}

fn hex(bytes: &[u8]) -> String {
    verity_common::hashing::hex(bytes)
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// `YYYYMMDDTHHMMSSZ` of a Unix time.
fn amz_date(unix: i64) -> String {
    let date = verity_domain::hosted::format_date(unix).replace('-', "");
    let secs = unix.rem_euclid(86_400);
    format!("{date}T{:02}{:02}{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Percent-encodes a path the way SigV4 wants (every byte but unreserved characters and `/`).
fn uri_encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl S3Blobs {
    pub fn new(config: S3Config) -> io::Result<S3Blobs> {
        let url = url::Url::parse(&config.endpoint)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("S3 endpoint: {e}")))?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => return Err(io::Error::new(io::ErrorKind::InvalidInput, "S3 endpoint has no host")),
        };
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(io::Error::other)?;
        Ok(S3Blobs { config, host, http })
    }

    fn path(&self, key: &str) -> String {
        format!("/{}/{}{}", self.config.bucket, self.config.prefix, key)
    }

    /// Builds a signed request for `method` on `path` with `body`.
    pub fn signed(&self, method: reqwest::Method, path: &str, body: Vec<u8>, now: i64) -> reqwest::RequestBuilder {
        let payload_hash = hex(&Sha256::digest(&body));
        let date_time = amz_date(now);
        let date = &date_time[..8];
        let canonical_path = uri_encode_path(path);
        let canonical = format!(
            "{method}\n{canonical_path}\n\nhost:{host}\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{date_time}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload_hash}",
            host = self.host
        );
        let scope = format!("{date}/{}/s3/aws4_request", self.config.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let k_date = hmac(format!("AWS4{}", self.config.secret_key).as_bytes(), date);
        let k_region = hmac(&k_date, &self.config.region);
        let k_service = hmac(&k_region, "s3");
        let k_signing = hmac(&k_service, "aws4_request");
        let signature = hex(&hmac(&k_signing, &to_sign));
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
            self.config.access_key
        );
        let url = format!("{}{}", self.config.endpoint.trim_end_matches('/'), canonical_path);
        self.http
            .request(method, url)
            .header("x-amz-date", date_time)
            .header("x-amz-content-sha256", payload_hash)
            .header("authorization", authorization)
            .body(body)
    }

    fn check_key(id: &str) -> io::Result<()> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "invalid blob id"));
        }
        Ok(())
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

async fn fail(what: &str, r: reqwest::Response) -> io::Error {
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    io::Error::other(format!(
        "S3 {what} failed: HTTP {status}: {}",
        body.chars().take(300).collect::<String>()
    ))
}

#[async_trait]
impl BlobStore for S3Blobs {
    async fn put(&self, id: &str, bytes: Vec<u8>) -> io::Result<()> {
        Self::check_key(id)?;
        let r = self
            .signed(reqwest::Method::PUT, &self.path(id), bytes, now())
            .send()
            .await
            .map_err(io::Error::other)?;
        if r.status().is_success() {
            Ok(())
        } else {
            Err(fail("PUT", r).await)
        }
    }

    async fn get(&self, id: &str) -> io::Result<Option<Vec<u8>>> {
        Self::check_key(id)?;
        let r = self
            .signed(reqwest::Method::GET, &self.path(id), Vec::new(), now())
            .send()
            .await
            .map_err(io::Error::other)?;
        match r.status().as_u16() {
            200 => Ok(Some(r.bytes().await.map_err(io::Error::other)?.to_vec())),
            404 => Ok(None),
            _ => Err(fail("GET", r).await),
        }
    }

    async fn delete(&self, id: &str) -> io::Result<()> {
        Self::check_key(id)?;
        let r = self
            .signed(reqwest::Method::DELETE, &self.path(id), Vec::new(), now())
            .send()
            .await
            .map_err(io::Error::other)?;
        if r.status().is_success() || r.status().as_u16() == 404 {
            Ok(())
        } else {
            Err(fail("DELETE", r).await)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_dates() {
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(uri_encode_path("/b/a b+c"), "/b/a%20b%2Bc");
    }

    #[test]
    fn signature_matches_the_aws_sigv4_example() {
        // The signing-key and signature steps of AWS's published SigV4 example
        // (secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830, us-east-1, iam).
        let k_date = hmac(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830");
        let k_region = hmac(&k_date, "us-east-1");
        let k_service = hmac(&k_region, "iam");
        let k_signing = hmac(&k_service, "aws4_request");
        assert_eq!(
            hex(&k_signing),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        let to_sign = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59";
        assert_eq!(
            hex(&hmac(&k_signing, to_sign)),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }
}
