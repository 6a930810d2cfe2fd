//! The JWT secret: from JWT_SECRET, or in development generated once into the data folder.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use postiz_core::Settings;
use postiz_core::settings::Environment;
use rand::RngCore;

const FILE_NAME: &str = "jwt-secret";

/// Fills `auth.jwt_secret` when it is empty (development only; production refuses to start
/// without it, checked when the settings load).
pub fn ensure(settings: &mut Settings) -> anyhow::Result<()> {
    if !settings.auth.jwt_secret.trim().is_empty() {
        return Ok(());
    }
    if settings.app.environment == Environment::Production {
        anyhow::bail!("JWT_SECRET is required in production");
    }
    let path = settings.app.data_dir.join(FILE_NAME);
    let secret = match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => s.trim().to_string(),
        _ => generate(&path)?,
    };
    tracing::warn!(
        file = %path.display(),
        "JWT_SECRET is not set: using a generated secret kept in the data folder. \
         Set JWT_SECRET in production; sessions and sealed tokens depend on it."
    );
    settings.auth.jwt_secret = secret;
    Ok(())
}

fn generate(path: &Path) -> anyhow::Result<String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(secret.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(secret)
}
