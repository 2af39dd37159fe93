//! A real SMTP server on loopback (aiosmtpd from PyPI, installed by `tests/setup.sh`): every
//! message it receives lands in a Maildir, read back here as parsed messages.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

pub struct SmtpServer {
    pub url: String,
    maildir: tempfile::TempDir,
    child: Child,
}

/// One received message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn aiosmtpd() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/smtp/.venv/bin/aiosmtpd")
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let program = aiosmtpd();
        assert!(
            program.exists(),
            "{} is missing: run tests/setup.sh first",
            program.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let child = Command::new(program)
            .args([
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("mail"))
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "the SMTP server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        SmtpServer {
            url: format!("smtp://127.0.0.1:{port}"),
            maildir,
            child,
        }
    }

    /// Every message received so far.
    pub fn received(&self) -> Vec<Mail> {
        let dir = self.maildir.path().join("mail/new");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                let raw = std::fs::read(f).unwrap();
                let parsed = mailparse::parse_mail(&raw).unwrap();
                let header = |name: &str| {
                    use mailparse::MailHeaderMap;
                    parsed.headers.get_first_value(name).unwrap_or_default()
                };
                let part = |mime: &str| {
                    parsed
                        .subparts
                        .iter()
                        .find(|p| p.ctype.mimetype == mime)
                        .map(|p| p.get_body().unwrap())
                        .unwrap_or_default()
                };
                Mail {
                    from: header("From"),
                    to: header("To"),
                    subject: header("Subject"),
                    text: part("text/plain"),
                    html: part("text/html"),
                }
            })
            .collect()
    }

    /// Waits until `count` received messages match `pred` (the server writes each message as it
    /// arrives; there is no event to await but the file).
    pub async fn wait_for(&self, count: usize, within: Duration, pred: impl Fn(&Mail) -> bool) -> Vec<Mail> {
        let deadline = Instant::now() + within;
        loop {
            let matching: Vec<Mail> = self.received().into_iter().filter(|m| pred(m)).collect();
            if matching.len() >= count {
                return matching;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} matching e-mails within {within:?}; received: {:#?}",
                self.received()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
