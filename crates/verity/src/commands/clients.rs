//! `verity clients`: API clients (platforms), their keys, branding and policy.

use verity_domain::{ClientId, Environment};
use verity_service::clients::ClientSetting;
use verity_service::{ServiceError, Services};
use verity_store::StoreError;

use super::{Failure, client_of};
use crate::cli::{ClientsCommand, EnvArg};

/// A ClientId derived from a name: a slug of it and a random suffix.
fn client_id_from_name(name: &str) -> Result<ClientId, Failure> {
    let mut slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    let slug = slug.trim_matches('-');
    let slug = if slug.is_empty() {
        "client"
    } else {
        &slug[..slug.len().min(40)]
    };
    let suffix: String = (0..6).map(|_| (b'a' + rand::random::<u8>() % 26) as char).collect();
    Ok(ClientId::parse(&format!("{}-{suffix}", slug.trim_end_matches('-')))?)
}

/// Prints a ClientId and its API key, as text or JSON.
pub(crate) fn print_credentials(id: &ClientId, key: &str, json: bool) {
    if json {
        println!("{}", serde_json::json!({"ClientId": id.as_str(), "ApiKey": key}));
    } else {
        println!(
            "ClientId: {id}\nApiKey:   {key}\n(the API key is shown only once; `verity clients rotate-key` issues a new one)"
        );
    }
}

pub(super) async fn clients(command: ClientsCommand, services: Services) -> Result<(), Failure> {
    match command {
        ClientsCommand::Create {
            name,
            environment,
            id,
            idv_disabled,
            json,
        } => {
            let id = match id {
                Some(raw) => ClientId::parse(&raw).map_err(|e| format!("--id {raw}: {e}"))?,
                None => client_id_from_name(&name)?,
            };
            let environment = match environment {
                EnvArg::Sandbox => Environment::Sandbox,
                EnvArg::Production => Environment::Production,
            };
            let key = match services
                .create_client(id.clone(), &name, environment, !idv_disabled)
                .await
            {
                Err(ServiceError::Store(StoreError::Conflict(_))) => {
                    return Err(Failure(format!("a client with id {id} already exists")));
                }
                other => other?,
            };
            print_credentials(&id, &key, json);
        }
        ClientsCommand::List { json } => {
            let all = services.platforms().await?;
            if json {
                let rows: Vec<_> = all
                    .iter()
                    .map(|c| serde_json::json!({"ClientId": c.id.as_str(), "Name": c.name, "Environment": c.environment.as_str(), "IdvEnabled": c.idv_enabled, "CreationDate": c.created_at}))
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for c in all {
                    let idv = if c.idv_enabled { "idv on" } else { "idv off" };
                    println!("{}\t{}\t{}\t{}", c.id, c.environment.as_str(), idv, c.name);
                }
            }
        }
        ClientsCommand::RotateKey { client_id, json } => {
            let id = ClientId::parse(&client_id).map_err(|e| format!("{client_id}: {e}"))?;
            let key = services.rotate_api_key(&id).await?;
            print_credentials(&id, &key, json);
        }
        ClientsCommand::SetIdv { client_id, enabled } => {
            let id = ClientId::parse(&client_id).map_err(|e| format!("{client_id}: {e}"))?;
            services.set_client(&id, ClientSetting::Idv(enabled)).await?;
            println!(
                "hosted IDV {} for {id}",
                if enabled { "activated" } else { "deactivated" }
            );
        }
        ClientsCommand::SetPolicy {
            client_id,
            minimum_age,
            fraud,
            retention_files_days,
            retention_data_days,
            liveness,
            psc_flow,
            psc_emails,
        } => {
            let id = ClientId::parse(&client_id).map_err(|e| format!("{client_id}: {e}"))?;
            let mut policy = services.client_policy(&id).await?;
            if let Some(age) = minimum_age {
                if !(16..=25).contains(&age) {
                    return Err(Failure("--minimum-age must be between 16 and 25".into()));
                }
                policy.minimum_age = age;
            }
            if let Some(fraud) = fraud {
                if !matches!(fraud.as_str(), "review" | "refuse") {
                    return Err(Failure("--fraud must be review or refuse".into()));
                }
                policy.fraud_routing = fraud;
            }
            let days = |raw: &str, name: &str| -> Result<Option<i64>, Failure> {
                match raw {
                    "none" => Ok(None),
                    n => match n.parse::<i64>() {
                        Ok(d) if d >= 0 => Ok(Some(d)),
                        _ => Err(Failure(format!("--{name} takes a number of days or none"))),
                    },
                }
            };
            if let Some(raw) = retention_files_days {
                policy.retention_files_days = days(&raw, "retention-files-days")?;
            }
            if let Some(raw) = retention_data_days {
                policy.retention_data_days = days(&raw, "retention-data-days")?;
            }
            if let Some(liveness) = liveness {
                policy.liveness_required = match liveness.as_str() {
                    "required" => true,
                    "optional" => false,
                    _ => return Err(Failure("--liveness must be required or optional".into())),
                };
            }
            if let Some(flow) = psc_flow {
                policy.psc_flow = match flow.as_str() {
                    "on" => true,
                    "off" => false,
                    _ => return Err(Failure("--psc-flow must be on or off".into())),
                };
            }
            if let Some(emails) = psc_emails {
                policy.psc_emails = match emails.as_str() {
                    "on" => true,
                    "off" => false,
                    _ => return Err(Failure("--psc-emails must be on or off".into())),
                };
            }
            services.set_client_policy(&id, &policy).await?;
            let shown = |d: Option<i64>| d.map_or("kept".to_owned(), |d| format!("{d} days"));
            println!(
                "{id}: minimum age {}, fraud signals go to {}, files {}, data {}, liveness {}, PSC flow {}, PSC e-mails {}",
                policy.minimum_age,
                policy.fraud_routing,
                shown(policy.retention_files_days),
                shown(policy.retention_data_days),
                if policy.liveness_required {
                    "required"
                } else {
                    "optional"
                },
                if policy.psc_flow { "on" } else { "off" },
                if policy.psc_emails {
                    "sent by Verity"
                } else {
                    "sent by the platform"
                }
            );
        }
        ClientsCommand::Unlock { client_id, address } => {
            let id = ClientId::parse(&client_id).map_err(|e| format!("{client_id}: {e}"))?;
            let lifted = services.unlock_logins(&id, address.as_deref()).await?;
            match (lifted, &address) {
                (0, Some(a)) => println!("{id}: token requests from {a} were not locked"),
                (0, None) => println!("{id}: token requests were not locked"),
                (n, _) => println!("{id}: lifted {n} lock(s) on token requests"),
            }
        }
        ClientsCommand::SetNaturalReview { client_id, enabled } => {
            let id = ClientId::parse(&client_id).map_err(|e| format!("{client_id}: {e}"))?;
            services.set_client(&id, ClientSetting::NaturalReview(enabled)).await?;
            println!(
                "manual review of natural users {} for {id}",
                if enabled { "on" } else { "off" }
            );
        }
        ClientsCommand::Branding {
            client_id,
            display_name,
            logo,
            primary_color,
            default_language,
            frame_ancestors,
        } => {
            let mut client = client_of(&services, &client_id).await?;
            let b = &mut client.branding;
            if let Some(name) = display_name {
                b.display_name = Some(name).filter(|n| !n.trim().is_empty());
            }
            if let Some(path) = logo {
                let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                if bytes.len() > 256 * 1024 {
                    return Err(Failure(format!("{} is larger than 256 KiB", path.display())));
                }
                let kind = if bytes.starts_with(b"\x89PNG") {
                    "image/png"
                } else if String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).contains("<svg") {
                    "image/svg+xml"
                } else {
                    return Err(Failure(format!("{} is neither a PNG nor an SVG file", path.display())));
                };
                use base64::Engine;
                b.logo = Some(format!(
                    "data:{kind};base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                ));
            }
            if let Some(colour) = primary_color {
                let ok =
                    colour.len() == 7 && colour.starts_with('#') && colour[1..].bytes().all(|c| c.is_ascii_hexdigit());
                if !ok {
                    return Err(Failure(format!("--primary-color {colour}: use #rrggbb")));
                }
                b.primary_color = Some(colour);
            }
            if let Some(lang) = default_language {
                if !verity_domain::client::page_language_supported(&lang) {
                    return Err(Failure(format!(
                        "--default-language {lang}: use one of en, fr, de, es, it, nl, pt, pl, ro, lt, zh"
                    )));
                }
                b.default_language = Some(lang);
            }
            if !frame_ancestors.is_empty() {
                for origin in &frame_ancestors {
                    let ok = url::Url::parse(origin)
                        .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.path() == "/")
                        && !origin.contains([';', ' ', '\'']);
                    if !ok {
                        return Err(Failure(format!(
                            "--frame-ancestor {origin}: use an origin such as https://app.example.com"
                        )));
                    }
                }
                b.frame_ancestors = frame_ancestors
                    .iter()
                    .map(|o| o.trim_end_matches('/').to_owned())
                    .collect();
            }
            services.set_branding(&client.id, &client.branding).await?;
            println!("branding of {} saved", client.id);
        }
        ClientsCommand::WebhookSecret { client_id, disable } => {
            let id = ClientId::parse(&client_id).map_err(|e| format!("{client_id}: {e}"))?;
            let secret = services.set_webhook_signing(&id, !disable).await?;
            match secret {
                Some(s) => println!("{s}"),
                None => println!("webhooks of {id} are no longer signed"),
            }
        }
    }
    Ok(())
}
