//! `verity staff`: the console's staff accounts.

use verity_service::{ServiceError, Services};

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

pub(super) async fn staff(command: StaffCommand, services: Services) -> Result<(), Failure> {
    use verity_common::totp;
    use verity_service::back_office::{NewStaff, Role};
    match command {
        StaffCommand::Add {
            username,
            name,
            role,
            totp: with_totp,
        } => {
            let role = Role::parse(&role).ok_or("--role must be reviewer, lead, operator or auditor")?;
            let (password, generated) = password_from_stdin()?;
            let secret = services
                .add_staff(NewStaff {
                    username: username.clone(),
                    display_name: name,
                    role,
                    password: password.clone(),
                    totp: with_totp,
                })
                .await?;
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
            for s in services.staff_list().await? {
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
            services.disable_staff(&username).await.map_err(no_such(&username))?;
            println!("{username} is disabled and signed out");
        }
        StaffCommand::ResetPassword { username } => {
            services
                .staff_list()
                .await?
                .iter()
                .find(|s| s.username == username)
                .ok_or_else(|| Failure(format!("no staff member {username}")))?;
            let (password, generated) = password_from_stdin()?;
            services
                .reset_staff_password(&username, &password)
                .await
                .map_err(no_such(&username))?;
            println!("new password set for {username}; their sessions ended");
            if generated {
                println!("password: {password}");
            }
        }
    }
    Ok(())
}

/// The CLI's words for an unknown username.
fn no_such(username: &str) -> impl FnOnce(ServiceError) -> Failure + '_ {
    move |e| match e {
        ServiceError::NotFound { .. } => Failure(format!("no staff member {username}")),
        other => other.into(),
    }
}
