//! E-mail to end users: each PSC's link to their own session, and a reminder before it expires.
//! Messages are queued in the outbox in the transaction of the change that calls for them and sent
//! by [`Mailer`] through an SMTP server (`VERITY_SMTP_URL`). With no server configured nothing is
//! queued, and nothing claims a message was sent: the links are in the API and the console.
//!
//! The recipient and the text are read when the message is sent, so a retried PSC's corrected
//! e-mail is the one used, and a message about a session that is over is not sent at all.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use verity_domain::psc::{Psc, PscStatus};
use verity_domain::{IdvSession, SessionStatus, UnixTime};
use verity_store::{ClientPolicy, MailJob, MailKind, MailOutcome};

use crate::{Services, new_id, now};

/// Attempts before a message is given up (and shown as failed to operators).
const MAX_ATTEMPTS: i64 = 6;

/// What a message says, given to the [`MailComposer`] (the hosted pages' translations).
pub struct MailContext<'a> {
    pub kind: MailKind,
    /// A hosted-page language code (`en`, `fr`, ..., `zh`).
    pub language: &'a str,
    /// The PSC's first and last name.
    pub person: &'a str,
    /// The company the PSC was declared for.
    pub company: &'a str,
    /// The platform, as its branding names it.
    pub platform: &'a str,
    pub link: &'a str,
    pub expires_at: UnixTime,
    /// The platform's primary colour (`#rrggbb`), for the button.
    pub colour: Option<&'a str>,
}

pub struct ComposedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Writes messages in the end user's language.
pub trait MailComposer: Send + Sync {
    fn compose(&self, context: &MailContext<'_>) -> ComposedMail;
}

/// The SMTP server and the sender.
#[derive(Clone)]
pub struct SmtpSettings {
    /// `smtp://host:port` (plain, or STARTTLS with `?tls=required`), `smtps://user:pass@host` (TLS).
    pub url: String,
    /// `Name <address>` or `address`.
    pub from: String,
}

/// Whether `raw` is a sender address (`name@example.com` or `Name <name@example.com>`).
pub fn is_sender(raw: &str) -> bool {
    raw.parse::<Mailbox>().is_ok()
}

impl std::fmt::Debug for SmtpSettings {
    /// The URL may carry a password: never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &verity_store::redact_url(&self.url))
            .field("from", &self.from)
            .finish()
    }
}

impl Services {
    /// The messages queued when a PSC gets a session: its link now, a reminder before expiry.
    pub(crate) fn psc_mails(
        &self,
        policy: &ClientPolicy,
        psc: &Psc,
        session: &IdvSession,
        now: UnixTime,
    ) -> Vec<MailJob> {
        if !self.config.mail_enabled || !policy.psc_emails || psc.identity.email.is_empty() {
            return Vec::new();
        }
        let job = |kind, due_at| MailJob {
            id: new_id("mail_"),
            client: psc.client_id.clone(),
            psc: psc.id.clone(),
            session: session.id.clone(),
            kind,
            due_at,
            attempts: 0,
            created_at: now,
        };
        let lifetime = session.expires_at - now;
        // A day before the end, or half-way through a shorter session.
        let lead = self.config.psc_reminder_before.min(lifetime / 2);
        vec![
            job(MailKind::PscLink, now),
            job(MailKind::PscReminder, session.expires_at - lead),
        ]
    }
}

pub struct Mailer {
    services: Services,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    composer: Arc<dyn MailComposer>,
    public_url: String,
}

impl Mailer {
    pub fn new(
        services: Services,
        settings: &SmtpSettings,
        composer: Arc<dyn MailComposer>,
        public_url: &str,
    ) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
            .map_err(|e| format!("smtp_url: {e}"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("mail_from '{}': {e}", settings.from))?;
        Ok(Mailer {
            services,
            transport,
            from,
            composer,
            public_url: public_url.trim_end_matches('/').to_owned(),
        })
    }

    /// Sends due messages until `stop` is set.
    pub async fn run(self: Arc<Self>, mut stop: crate::StopSignal) {
        while !*stop.borrow() {
            let done = self.round().await;
            if done == 0 {
                tokio::select! {
                    _ = self.services.mail.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = crate::stopped(&mut stop) => {}
                }
            }
        }
        tracing::info!("mail worker stopped");
    }

    /// Claims and sends the due messages; returns how many were claimed.
    pub async fn round(&self) -> usize {
        let now = now();
        let jobs = match self.services.store.claim_mails(now, now + 60, 8).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim e-mails");
                return 0;
            }
        };
        for job in &jobs {
            let outcome = self.send(job).await;
            let finish = match &outcome {
                Ok(Some(())) => MailOutcome::Sent { at: now },
                Ok(None) => MailOutcome::Skipped {
                    why: "the session is no longer waiting for this person",
                },
                Err(e) if job.attempts < MAX_ATTEMPTS => MailOutcome::Retry {
                    error: e,
                    at: crate::now() + 30 * job.attempts,
                },
                Err(e) => MailOutcome::Failed { error: e },
            };
            match &outcome {
                Ok(Some(())) => tracing::info!(mail = %job.id, kind = job.kind.as_str(), psc = %job.psc, "e-mail sent"),
                Ok(None) => tracing::info!(mail = %job.id, psc = %job.psc, "e-mail no longer needed"),
                // The error is the server's answer: no address or text in it.
                Err(e) => tracing::warn!(mail = %job.id, attempt = job.attempts, error = %e, "e-mail not sent"),
            }
            if let Err(e) = self.services.store.finish_mail(&job.id, finish).await {
                tracing::warn!(mail = %job.id, error = %e, "cannot record the e-mail's end");
            }
        }
        jobs.len()
    }

    /// Sends one message; `None` when it is no longer worth sending.
    async fn send(&self, job: &MailJob) -> Result<Option<()>, String> {
        let store = &self.services.store;
        let e = |e: verity_store::StoreError| e.to_string();
        let Some(psc) = store.psc(&job.client, &job.psc).await.map_err(e)? else {
            return Ok(None);
        };
        let Some(session) = store.session(&job.client, &job.session).await.map_err(e)? else {
            return Ok(None);
        };
        if psc.session_id != session.id
            || psc.status != PscStatus::PendingValidation
            || session.status != SessionStatus::Pending
            || session.expires_at <= now()
        {
            return Ok(None);
        }
        let Some(client) = store.client(&job.client).await.map_err(e)? else {
            return Ok(None);
        };
        let client = client.client;
        let company = store
            .user(&job.client, &psc.user_id)
            .await
            .map_err(e)?
            .map(|u| u.display_name())
            .unwrap_or_default();
        let language = session
            .language
            .map(|l| l.page_language().to_owned())
            .or_else(|| client.branding.default_language.clone())
            .unwrap_or_else(|| "en".into());
        let platform = client
            .branding
            .display_name
            .clone()
            .unwrap_or_else(|| client.name.clone());
        let person = format!("{} {}", psc.identity.first_name, psc.identity.last_name);
        let link = session.hosted_url(&self.public_url);
        let composed = self.composer.compose(&MailContext {
            kind: job.kind,
            language: &language,
            person: &person,
            company: &company,
            platform: &platform,
            link: &link,
            expires_at: session.expires_at,
            colour: client.branding.primary_color.as_deref(),
        });
        let to: Mailbox = psc
            .identity
            .email
            .parse()
            .map_err(|_| "the PSC's e-mail address is not valid".to_owned())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(composed.subject)
            .multipart(MultiPart::alternative_plain_html(composed.text, composed.html))
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map_err(|e| e.to_string())?;
        Ok(Some(()))
    }
}
