//! `verity staff`: the console's staff accounts.

use verity_store::{BackOfficeStore, SqlStore, StoreError};

use super::Failure;
use crate::cli::StaffCommand;

/// A password from standard input's first line, or a generated one (printed by the caller).
fn password_from_stdin() -> Result<(String, bool), Failure> {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.read_line(&mut line)?;
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if !line.is_empty() {
            if let Some(problem) = verity_common::secrets::password_problem(&line) {
                return Err(Failure(problem.into()));
            }
            return Ok((line, false));
        }
    }
    Ok((verity_common::secrets::random_token(), true))
}

pub(super) async fn staff(command: StaffCommand, store: &SqlStore) -> Result<(), Failure> {
    use verity_common::{secrets::hash_password, totp};
    use verity_http::console::Role;
    let find = |username: &str| {
        let username = username.to_owned();
        async move {
            store
                .staff_by_username(&username)
                .await?
                .ok_or_else(|| Failure(format!("no staff member {username}")))
        }
    };
    match command {
        StaffCommand::Add {
            username,
            name,
            role,
            totp: with_totp,
        } => {
            let role = Role::parse(&role).ok_or("--role must be reviewer, operator or auditor")?;
            if username.is_empty()
                || username.len() > 64
                || !username
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
            {
                return Err(Failure(
                    "--username takes 1 to 64 letters, digits, '.', '_', '-' or '@'".into(),
                ));
            }
            let (password, generated) = password_from_stdin()?;
            let secret = with_totp.then(totp::new_secret);
            let record = verity_store::StaffRecord {
                id: verity_service::new_id("staff_"),
                username: username.clone(),
                display_name: name,
                role: role.as_str().into(),
                password_hash: hash_password(&password)?,
                totp_secret: secret.clone(),
                failed_logins: 0,
                locked_until: 0,
                disabled: false,
                created_at: verity_common::clock::now(),
            };
            match store.insert_staff(&record).await {
                Err(StoreError::Conflict(_)) => return Err(Failure(format!("the username {username} is taken"))),
                other => other?,
            }
            println!("added {username} ({})", role.as_str());
            if generated {
                println!("password: {password}");
            }
            if let Some(secret) = secret {
                println!("authenticator secret: {secret}");
                println!("{}", totp::uri(&secret, &username));
            }
        }
        StaffCommand::List => {
            for s in store.staff_list().await? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    s.username,
                    s.role,
                    s.display_name,
                    if s.disabled { "disabled" } else { "active" },
                    if s.totp_secret.is_some() { ", TOTP" } else { "" }
                );
            }
        }
        StaffCommand::Disable { username } => {
            let mut s = find(&username).await?;
            s.disabled = true;
            store.update_staff(&s).await?;
            store.delete_staff_sessions_of(&s.id).await?;
            println!("{username} is disabled and signed out");
        }
        StaffCommand::ResetPassword { username } => {
            let mut s = find(&username).await?;
            let (password, generated) = password_from_stdin()?;
            s.password_hash = hash_password(&password)?;
            s.failed_logins = 0;
            s.locked_until = 0;
            store.update_staff(&s).await?;
            store.delete_staff_sessions_of(&s.id).await?;
            println!("new password set for {username}; their sessions ended");
            if generated {
                println!("password: {password}");
            }
        }
    }
    Ok(())
}
