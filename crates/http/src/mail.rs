//! The e-mails end users receive, in their session's language: the hosted pages' translations
//! and an askama template (escaped like the pages), given to the service's mail worker.

use askama::Template;
use verity_service::mail::{ComposedMail, MailComposer, MailContext};
use verity_store::MailKind;

use crate::hosted::i18n::Tr;

#[derive(Template)]
#[template(path = "mail/psc.html")]
struct PscMail<'a> {
    lang: &'a str,
    subject: &'a str,
    platform: &'a str,
    greeting: &'a str,
    body: &'a str,
    button: &'a str,
    expires: &'a str,
    footer: &'a str,
    link: &'a str,
    colour: &'a str,
}

/// Composes messages from the translations of the hosted pages.
pub struct Composer;

/// `YYYY-MM-DD HH:MM UTC`: read alike in every language.
fn date_time(ts: i64) -> String {
    let date = verity_domain::hosted::format_date(ts);
    let seconds = ts.rem_euclid(86_400);
    format!("{date} {:02}:{:02} UTC", seconds / 3600, seconds % 3600 / 60)
}

impl MailComposer for Composer {
    fn compose(&self, c: &MailContext<'_>) -> ComposedMail {
        let tr = Tr::new(c.language);
        let args = [("company", c.company), ("platform", c.platform), ("person", c.person)];
        let (subject_key, body_key) = match c.kind {
            MailKind::PscLink => ("mail-psc-subject", "mail-psc-body"),
            MailKind::PscReminder => ("mail-psc-reminder-subject", "mail-psc-reminder-body"),
        };
        let subject = tr.f(subject_key, &args);
        let greeting = tr.f("mail-psc-greeting", &args);
        let body = tr.f(body_key, &args);
        let button = tr.t("mail-psc-button");
        let expires = tr.f("mail-psc-expires", &[("date", &date_time(c.expires_at))]);
        let footer = tr.f("mail-footer", &args);
        let text = format!(
            "{greeting}\n\n{body}\n\n{button}: {}\n\n{expires}\n\n--\n{footer}\n",
            c.link
        );
        let html = PscMail {
            lang: tr.lang,
            subject: &subject,
            platform: c.platform,
            greeting: &greeting,
            body: &body,
            button: &button,
            expires: &expires,
            footer: &footer,
            link: c.link,
            // The platform's colour (validated as `#rrggbb` when set), else the pages' blue.
            colour: c
                .colour
                .filter(|c| c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit()))
                .unwrap_or("#1d4ed8"),
        }
        .render()
        .unwrap_or_else(|_| text.clone());
        ComposedMail { subject, text, html }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(language: &'static str) -> MailContext<'static> {
        MailContext {
            kind: MailKind::PscLink,
            language,
            person: "Marie <Dubois>",
            company: "ACME & Co",
            platform: "Shop",
            link: "https://verity.example/verify/abc?redirectURL=x&lng=fr",
            expires_at: 1_795_000_000,
            colour: Some("#aa0000\" onclick=\"x"),
        }
    }

    #[test]
    fn messages_are_translated_and_escaped() {
        let en = Composer.compose(&context("en"));
        assert_eq!(en.subject, "ACME & Co: please verify your identity");
        assert!(
            en.text
                .contains("https://verity.example/verify/abc?redirectURL=x&lng=fr")
        );
        assert!(
            en.html.contains("Marie &lt;Dubois&gt;") || en.html.contains("Marie &#60;Dubois&#62;"),
            "{}",
            en.html
        );
        assert!(!en.html.contains("<Dubois>"));
        // A colour that is not one is not written into the style.
        assert!(
            en.html.contains("background:#1d4ed8") && !en.html.contains("onclick"),
            "{}",
            en.html
        );
        let fr = Composer.compose(&context("fr"));
        assert!(fr.subject.contains("vérifier votre identité"), "{}", fr.subject);
        assert!(fr.html.starts_with("<!doctype html>\n<html lang=\"fr\">"));
    }
}
