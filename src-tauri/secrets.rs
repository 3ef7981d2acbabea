//! Account passwords live in the OS keyring (Secret Service, Keychain,
//! Credential Manager), never in the database or the UI. Behind a trait so a
//! mobile build or a machine without a keyring daemon can plug in another.

use std::collections::HashMap;
use std::sync::Mutex;

/// Where passwords are kept.
pub trait SecretStore: Send + Sync {
    /// Stores the password of an account.
    fn set(&self, account: i64, password: &str) -> anyhow::Result<()>;
    /// The password of an account, if one is stored.
    fn get(&self, account: i64) -> anyhow::Result<Option<String>>;
    /// Forgets the password of an account.
    fn delete(&self, account: i64) -> anyhow::Result<()>;
    /// Short name for the logs.
    fn name(&self) -> &'static str;
}

const SERVICE: &str = "org.handset.app";

fn user(account: i64) -> String {
    format!("account-{account}")
}

/// The OS keyring through the `keyring` crate.
pub struct Keyring;

impl Keyring {
    /// A keyring if the OS offers one that works right now.
    pub fn probe() -> Option<Keyring> {
        let entry = keyring::Entry::new(SERVICE, "probe").ok()?;
        match entry.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Some(Keyring),
            Err(e) => {
                tracing::warn!(error = %e, "no usable OS keyring");
                None
            }
        }
    }
}

impl SecretStore for Keyring {
    fn set(&self, account: i64, password: &str) -> anyhow::Result<()> {
        Ok(keyring::Entry::new(SERVICE, &user(account))?.set_password(password)?)
    }

    fn get(&self, account: i64) -> anyhow::Result<Option<String>> {
        match keyring::Entry::new(SERVICE, &user(account))?.get_password() {
            Ok(p) => Ok(Some(p)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn delete(&self, account: i64) -> anyhow::Result<()> {
        match keyring::Entry::new(SERVICE, &user(account))?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn name(&self) -> &'static str {
        "os-keyring"
    }
}

/// Passwords kept only in memory for this run: used when the OS has no
/// keyring (a headless test machine), so nothing is ever written in clear.
#[derive(Default)]
pub struct MemorySecrets(Mutex<HashMap<i64, String>>);

impl SecretStore for MemorySecrets {
    fn set(&self, account: i64, password: &str) -> anyhow::Result<()> {
        self.0
            .lock()
            .map_err(|_| anyhow::anyhow!("secret store poisoned"))?
            .insert(account, password.to_string());
        Ok(())
    }

    fn get(&self, account: i64) -> anyhow::Result<Option<String>> {
        Ok(self
            .0
            .lock()
            .map_err(|_| anyhow::anyhow!("secret store poisoned"))?
            .get(&account)
            .cloned())
    }

    fn delete(&self, account: i64) -> anyhow::Result<()> {
        self.0
            .lock()
            .map_err(|_| anyhow::anyhow!("secret store poisoned"))?
            .remove(&account);
        Ok(())
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}
