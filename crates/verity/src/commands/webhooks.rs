//! `verity webhooks`: inspecting and replaying webhook deliveries.

use verity_domain::ClientId;
use verity_service::Services;
use verity_store::{PageRequest, SortDirection};

use super::{Failure, print_json};
use crate::cli::WebhooksCommand;

pub(super) async fn webhooks(command: WebhooksCommand, services: Services) -> Result<(), Failure> {
    match command {
        WebhooksCommand::List {
            client,
            state,
            limit,
            json,
        } => {
            let client = client.map(ClientId::from_raw);
            let page = PageRequest {
                page: 1,
                per_page: limit.clamp(1, 1000),
                direction: SortDirection::Desc,
            };
            let found = services
                .webhook_deliveries(client.as_ref(), state.as_deref(), page)
                .await?;
            if json {
                let rows: Vec<_> = found.items.iter().map(|d| serde_json::json!({
                    "Id": d.id, "ClientId": d.client_id.as_str(), "HookId": d.hook_id, "EventType": d.event_type,
                    "ResourceId": d.resource_id, "State": d.state, "Attempts": d.attempts,
                    "NextAttemptDate": d.next_attempt_at, "CreationDate": d.created_at,
                })).collect();
                print_json(&rows);
            } else {
                for d in found.items {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\tattempts={}",
                        d.id, d.client_id, d.event_type, d.resource_id, d.state, d.attempts
                    );
                }
            }
        }
        WebhooksCommand::Attempts { delivery, json } => {
            let attempts = services.delivery_attempts(&delivery).await?;
            if json {
                let rows: Vec<_> = attempts
                    .iter()
                    .map(|a| {
                        serde_json::json!({
                            "Attempt": a.attempt, "Date": a.started_at, "DurationMs": a.duration_ms,
                            "StatusCode": a.http_status, "Error": a.error,
                        })
                    })
                    .collect();
                print_json(&rows);
            } else {
                for a in attempts {
                    let outcome = a
                        .error
                        .unwrap_or_else(|| format!("HTTP {}", a.http_status.unwrap_or(0)));
                    println!("#{}\t{}\t{} ms\t{}", a.attempt, a.started_at, a.duration_ms, outcome);
                }
            }
        }
        WebhooksCommand::Replay { delivery } => {
            if !services.replay_delivery(&delivery).await? {
                return Err(Failure(format!("no delivery with id {delivery}")));
            }
            println!("delivery {delivery} queued for an immediate attempt");
        }
    }
    Ok(())
}
