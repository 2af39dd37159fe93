//! Staff accounts, administered by operators from the CLI.

use super::*;

/// A new staff member as asked.
pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    /// Require an authenticator code at sign-in.
    pub totp: bool,
}

impl Services {
    /// Adds a staff member; returns the authenticator secret when TOTP is on.
    pub async fn add_staff(&self, new: NewStaff) -> Result<Option<String>, ServiceError> {
        let username_ok = !new.username.is_empty()
            && new.username.len() <= 64
            && new
                .username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
        if !username_ok {
            return Err(ServiceError::Invalid(
                "--username takes 1 to 64 letters, digits, '.', '_', '-' or '@'".into(),
            ));
        }
        let secret = new.totp.then(totp::new_secret);
        let record = StaffRecord {
            id: new_id("staff_"),
            username: new.username.clone(),
            display_name: new.display_name,
            role: new.role.as_str().into(),
            password_hash: hash_password(&new.password).map_err(ServiceError::Invalid)?,
            totp_secret: secret.clone(),
            failed_logins: 0,
            locked_until: 0,
            disabled: false,
            created_at: now(),
        };
        match self.store.insert_staff(&record).await {
            Err(verity_store::StoreError::Conflict(_)) => {
                Err(ServiceError::Invalid(format!("the username {} is taken", new.username)))
            }
            other => other.map(|()| secret).map_err(Into::into),
        }
    }

    pub async fn staff_list(&self) -> Result<Vec<StaffRecord>, ServiceError> {
        Ok(self.store.staff_list().await?)
    }

    async fn staff_member(&self, username: &str) -> Result<StaffRecord, ServiceError> {
        self.store
            .staff_by_username(username)
            .await?
            .ok_or_else(|| ServiceError::not_found("staff member", username))
    }

    /// Disables an account and ends its console sessions.
    pub async fn disable_staff(&self, username: &str) -> Result<(), ServiceError> {
        let mut s = self.staff_member(username).await?;
        s.disabled = true;
        self.store.update_staff(&s).await?;
        Ok(self.store.delete_staff_sessions_of(&s.id).await?)
    }

    /// Sets a new password, lifts any lock and ends the account's console sessions.
    pub async fn reset_staff_password(&self, username: &str, password: &str) -> Result<(), ServiceError> {
        let mut s = self.staff_member(username).await?;
        s.password_hash = hash_password(password).map_err(ServiceError::Invalid)?;
        s.failed_logins = 0;
        s.locked_until = 0;
        self.store.update_staff(&s).await?;
        Ok(self.store.delete_staff_sessions_of(&s.id).await?)
    }
}

/// How a password change ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordChange {
    Done,
    /// The current password given is wrong.
    WrongPassword,
    /// The new password is refused: why.
    Weak(String),
}

impl Services {
    /// Enables a disabled account again.
    pub async fn enable_staff(&self, username: &str) -> Result<(), ServiceError> {
        let mut s = self.staff_member(username).await?;
        s.disabled = false;
        Ok(self.store.update_staff(&s).await?)
    }

    /// Gives an account another role; its console sessions end so the new role applies at once.
    pub async fn set_staff_role(&self, username: &str, role: Role) -> Result<(), ServiceError> {
        let mut s = self.staff_member(username).await?;
        s.role = role.as_str().into();
        self.store.update_staff(&s).await?;
        Ok(self.store.delete_staff_sessions_of(&s.id).await?)
    }

    /// A staff member changes their own password, proving the current one; their other
    /// console sessions end.
    pub async fn change_own_password(
        &self,
        me: &StaffMember,
        current: &str,
        new: &str,
    ) -> Result<PasswordChange, ServiceError> {
        let mut s = self.staff_member(&me.record.username).await?;
        if !verify_off_runtime(current, &s.password_hash).await {
            return Ok(PasswordChange::WrongPassword);
        }
        if let Some(problem) = verity_common::secrets::password_problem(new) {
            return Ok(PasswordChange::Weak(problem.to_owned()));
        }
        s.password_hash = hash_password(new).map_err(ServiceError::Invalid)?;
        self.store.update_staff(&s).await?;
        Ok(PasswordChange::Done)
    }

    /// Turns on authenticator codes for a staff member once they prove their app holds the
    /// secret (a code it computed); whether the code was right.
    pub async fn enrol_totp(&self, me: &StaffMember, secret: &str, code: &str) -> Result<bool, ServiceError> {
        if totp::base32_decode(secret).is_none_or(|k| k.len() < 10) || !totp::verify(secret, code, now()) {
            return Ok(false);
        }
        let mut s = self.staff_member(&me.record.username).await?;
        s.totp_secret = Some(secret.to_owned());
        self.store.update_staff(&s).await?;
        Ok(true)
    }
}
