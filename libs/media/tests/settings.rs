//! The settings as the core loader will produce them: the `config` crate, Postiz variables
//! bound to `media.*` keys, values arriving as strings.

use config::{Config, File, FileFormat};
use postiz_media::{MEDIA_ENV_VARS, MediaSettings, StorageProvider};

fn load(env: &[(&str, &str)], toml: &str) -> Result<MediaSettings, String> {
    let mut builder = Config::builder().add_source(File::from_str(toml, FileFormat::Toml));
    for (var, value) in env {
        let key = MEDIA_ENV_VARS
            .iter()
            .find(|(v, _)| v == var)
            .map(|(_, k)| *k)
            .ok_or_else(|| format!("{var} is not bound"))?;
        builder = builder
            .set_override(key, *value)
            .map_err(|e| e.to_string())?;
    }
    let config = builder.build().map_err(|e| e.to_string())?;
    // As the core `Settings` will hold it: `#[serde(default)] pub media: MediaSettings`.
    #[derive(serde::Deserialize)]
    struct Root {
        #[serde(default)]
        media: MediaSettings,
    }
    let root: Root = config.try_deserialize().map_err(|e| e.to_string())?;
    root.media.validate()?;
    Ok(root.media)
}

#[test]
fn absent_section_gives_the_defaults() {
    let s = load(&[], "[other]\nx = 1\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.storage_provider, StorageProvider::Local);
    assert!(!s.disable_ssrf_protection);
}

#[test]
fn postiz_variables_fill_the_cloudflare_settings() {
    let s = load(
        &[
            ("STORAGE_PROVIDER", "cloudflare"),
            ("CLOUDFLARE_ACCOUNT_ID", "0123abcd"),
            ("CLOUDFLARE_ACCESS_KEY", "key"),
            ("CLOUDFLARE_SECRET_ACCESS_KEY", "secret"),
            ("CLOUDFLARE_BUCKETNAME", "postiz"),
            ("CLOUDFLARE_BUCKET_URL", "https://media.example.com"),
            ("CLOUDFLARE_REGION", "auto"),
            ("DISABLE_SSRF_PROTECTION", "true"),
            ("UPLOAD_DIRECTORY", "/var/postiz/uploads"),
        ],
        "[media]\nmax_image_bytes = 1048576\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.storage_provider, StorageProvider::Cloudflare);
    assert_eq!(s.cloudflare.account_id, "0123abcd");
    assert_eq!(s.cloudflare.bucket_name, "postiz");
    assert_eq!(s.cloudflare.bucket_url, "https://media.example.com");
    assert!(s.disable_ssrf_protection);
    assert_eq!(s.local.directory.to_string_lossy(), "/var/postiz/uploads");
    assert_eq!(s.max_image_bytes, 1_048_576);
}

#[test]
fn string_values_from_the_environment_are_coerced() {
    let toml = "[media]\nmax_video_bytes = \"2147483648\"\nallowed_types = \"png,mp4,mov\"\n[media.s3]\npath_style = \"false\"\n";
    let s = load(&[], toml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.max_video_bytes, 2_147_483_648);
    assert_eq!(
        s.type_names().unwrap_or_default(),
        vec!["png", "mp4", "mov"]
    );
    assert!(!s.s3.path_style);
}

#[test]
fn mistakes_are_named() {
    let err = load(&[], "[media]\nmax_image_byte = 1\n")
        .err()
        .unwrap_or_default();
    assert!(err.contains("max_image_byte"), "{err}");
    let err = load(&[("STORAGE_PROVIDER", "ftp")], "")
        .err()
        .unwrap_or_default();
    assert!(err.contains("ftp"), "{err}");
    let err = load(&[("STORAGE_PROVIDER", "cloudflare")], "")
        .err()
        .unwrap_or_default();
    assert!(err.contains("CLOUDFLARE_ACCOUNT_ID"), "{err}");
}
