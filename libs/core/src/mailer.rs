//! Outgoing e-mail: SMTP through lettre when `EMAIL_PROVIDER` selects it (Postiz's `nodemailer`),
//! otherwise a transport that writes the message to the log. Messages are sent in the
//! background with retries so a slow SMTP server never holds a request.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::settings::EmailSettings;

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    /// HTML body; a plain-text alternative is derived from it.
    pub html: String,
    pub reply_to: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address: {0}")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("SMTP delivery failed: {0}")]
    Transport(String),
}

/// Something that delivers one message now.
#[async_trait]
pub trait Transport: Send + Sync {
    async fn deliver(&self, email: &Email) -> Result<(), MailError>;
    /// Whether mail really leaves the process (false for the log transport).
    fn delivers(&self) -> bool;
}

/// Writes messages to the log; the default when no e-mail provider is configured.
pub struct LogTransport;

#[async_trait]
impl Transport for LogTransport {
    async fn deliver(&self, email: &Email) -> Result<(), MailError> {
        tracing::info!(
            to = %email.to,
            subject = %email.subject,
            body = %html_to_text(&email.html),
            "e-mail not sent (no EMAIL_PROVIDER configured); logged instead"
        );
        Ok(())
    }

    fn delivers(&self) -> bool {
        false
    }
}

/// SMTP delivery.
pub struct SmtpTransport {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpTransport {
    pub fn new(settings: &EmailSettings) -> Result<Self, MailError> {
        let tls_params = TlsParameters::new(settings.host.clone())
            .map_err(|e| MailError::Build(format!("TLS setup for {}: {e}", settings.host)))?;
        // Postiz's nodemailer semantics: secure = implicit TLS; otherwise upgrade with STARTTLS
        // when the server offers it.
        let tls = if settings.secure {
            Tls::Wrapper(tls_params)
        } else {
            Tls::Opportunistic(tls_params)
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(30)));
        if !settings.user.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.user.clone(),
                settings.pass.clone(),
            ));
        }
        let from = format!("{} <{}>", settings.from_name, settings.from_address)
            .parse::<Mailbox>()
            .map_err(|e| MailError::Address(format!("EMAIL_FROM_ADDRESS: {e}")))?;
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

#[async_trait]
impl Transport for SmtpTransport {
    async fn deliver(&self, email: &Email) -> Result<(), MailError> {
        let to = email
            .to
            .parse::<Mailbox>()
            .map_err(|e| MailError::Address(format!("{}: {e}", email.to)))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject);
        if let Some(reply_to) = &email.reply_to {
            let reply_to = reply_to
                .parse::<Mailbox>()
                .map_err(|e| MailError::Address(format!("{reply_to}: {e}")))?;
            builder = builder.reply_to(reply_to);
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                html_to_text(&email.html),
                wrap_html(&email.subject, &email.html),
            ))
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Transport(e.to_string()))
    }

    fn delivers(&self) -> bool {
        true
    }
}

/// Sends messages in the background with a few retries.
#[derive(Clone)]
pub struct Mailer {
    transport: Arc<dyn Transport>,
}

impl Mailer {
    pub fn new(transport: Arc<dyn Transport>) -> Self {
        Self { transport }
    }

    /// The transport chosen by the settings.
    pub fn from_settings(settings: &EmailSettings) -> Result<Self, MailError> {
        let transport: Arc<dyn Transport> = if settings.uses_smtp() {
            Arc::new(SmtpTransport::new(settings)?)
        } else {
            Arc::new(LogTransport)
        };
        Ok(Self::new(transport))
    }

    /// Whether e-mail really goes out; Postiz requires account activation only then.
    pub fn delivers(&self) -> bool {
        self.transport.delivers()
    }

    /// Queues a message; delivery happens in the background (3 attempts, 1 s then 5 s apart).
    pub fn send(&self, email: Email) {
        let transport = self.transport.clone();
        tokio::spawn(async move {
            for (attempt, pause) in [1u64, 5, 0].into_iter().enumerate() {
                match transport.deliver(&email).await {
                    Ok(()) => return,
                    Err(e) if pause > 0 => {
                        tracing::warn!(attempt = attempt + 1, error = %e, subject = %email.subject, "e-mail delivery failed; retrying");
                        tokio::time::sleep(Duration::from_secs(pause)).await;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, subject = %email.subject, "e-mail delivery failed; giving up");
                    }
                }
            }
        });
    }

    /// Delivers now and reports the outcome (used by tests and tools).
    pub async fn send_now(&self, email: &Email) -> Result<(), MailError> {
        self.transport.deliver(email).await
    }
}

/// The branded wrapper around every HTML message.
fn wrap_html(subject: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:Arial,sans-serif;line-height:1.5;color:#1a1a1a\">\
         <div style=\"max-width:600px;margin:0 auto;padding:24px\">{body}</div></body></html>",
        escape_html(subject)
    )
}

/// Escapes text for inclusion in HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A readable plain-text version of a simple HTML message: links keep their URL.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[start + 1..start + end];
        let lower = tag.to_ascii_lowercase();
        if lower.starts_with("br") || lower.starts_with("/p") || lower.starts_with("/div") {
            out.push('\n');
        } else if lower.starts_with("a ")
            && let Some(href) = attribute(tag, "href")
        {
            out.push_str(&format!("[{href}] "));
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .trim()
        .to_string()
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}=\""))? + name.len() + 2;
    let end = tag[at..].find('"')?;
    Some(&tag[at..at + end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_version_keeps_links() {
        let text = html_to_text(
            "Click <a href=\"https://x.io/a?b=1&amp;c=2\">here</a><br/>bye &amp; thanks",
        );
        assert_eq!(text, "Click [https://x.io/a?b=1&c=2] here\nbye & thanks");
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape_html("<b>\"x\"</b>"),
            "&lt;b&gt;&quot;x&quot;&lt;/b&gt;"
        );
    }
}
