//! Builds the application from settings: storage, services, the HTTP server. Tests build it on
//! port 0 and talk to it over HTTP.

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header::HeaderName;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web as actix};
use anyhow::Context;
use paperclip::actix::OpenApiExt;
use paperclip::v2::models::{DefaultApiRaw, Info, Tag};
use postiz_auth::AuthContext;
use postiz_auth::authz::Authorizer;
use postiz_auth::service::{AccountService, OrganizationService, UserService};
use postiz_channels::{ChannelConfig, ChannelService};
use postiz_core::Settings;
use postiz_core::cache::{Cache, MemoryCache, RedisCache};
use postiz_core::http::{CookiePolicy, JsonLimit};
use postiz_core::mailer::Mailer;
use postiz_core::notify::Notifier;
use postiz_core::secrets::Sealer;
use postiz_jobs::{
    CancellationToken, JobQueue, JobsConfig, Retention, RunningWorkers, WorkerRuntime,
};
use postiz_media::MediaService;
use postiz_migrations::{Migrator, MigratorTrait};
use postiz_notifications::{NotificationService, WebhookConfig, WebhookService};
use postiz_posts::ports::{Channels, MediaResolver, PostListener};
use postiz_posts::publisher::{PublishEngine, PublishSettings, Publisher};
use postiz_posts::service::comments::CommentsService;
use postiz_posts::service::posts::PostsService;
use postiz_posts::service::{sets::SetService, signatures::SignatureService, tags::TagService};
use postiz_provider::{HttpSettings, ProviderRegistry};
use sea_orm::DatabaseConnection;
use tracing_actix_web::TracingLogger;

use crate::routes::{docs, system};

/// Everything the HTTP workers and background workers share.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: DatabaseConnection,
    pub cache: Arc<dyn Cache>,
    pub mailer: Mailer,
    pub sealer: Sealer,
    pub providers: Arc<ProviderRegistry>,
    pub auth: actix::Data<AuthContext>,
    pub users: actix::Data<UserService>,
    /// Connected channels: connect flows, management and the tokens the publisher uses.
    pub channels: actix::Data<ChannelService>,
    /// Uploads, the media library and the media the publisher reads.
    pub media: actix::Data<MediaService>,
    /// The job engine on the application's database (publishing, webhook deliveries).
    pub jobs: JobQueue,
    /// The bell and notification e-mails; the `Notifier` other modules are given.
    pub notifications: actix::Data<NotificationService>,
    /// Outgoing webhooks; the publisher's `PostListener`.
    pub webhooks: actix::Data<WebhookService>,
    pub posts: actix::Data<PostsService>,
    pub comments: actix::Data<CommentsService>,
    /// Runs publication jobs (in `serve` when `workers.in_serve`, and in `worker`).
    pub engine: PublishEngine,
}

impl AppState {
    /// Connects to the database (migrating it when configured), the cache and the mailer, and
    /// builds the services.
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        crate::jwt_secret::ensure(&mut settings)?;
        // Install the metrics recorder before the first request is counted.
        let _ = postiz_core::telemetry::metrics_handle();
        let settings = Arc::new(settings);

        let db = postiz_core::db::connect(&settings).await.with_context(|| {
            format!(
                "cannot open the database {}",
                postiz_core::db::describe(&settings)
            )
        })?;
        if settings.database.migrate_on_start {
            Migrator::up(&db, None)
                .await
                .context("cannot apply the database migrations")?;
        }

        let cache: Arc<dyn Cache> = if settings.redis.url.trim().is_empty() {
            Arc::new(MemoryCache::new())
        } else {
            let redis = RedisCache::connect(
                settings.redis.url.trim(),
                &settings.redis.key_prefix,
                settings.redis.pool_size,
            )?;
            redis
                .ping()
                .await
                .context("cannot reach Redis (REDIS_URL)")?;
            Arc::new(redis)
        };

        let mailer = Mailer::from_settings(&settings.email).context("e-mail settings")?;
        let encryption_key = if settings.auth.encryption_key.trim().is_empty() {
            settings.auth.jwt_secret.clone()
        } else {
            settings.auth.encryption_key.clone()
        };
        let sealer = Sealer::new(&encryption_key);
        let providers = Arc::new(crate::registry::build(&settings, HttpSettings::default())?);

        let tokens = postiz_auth::session::Tokens::new(
            &settings.auth.jwt_secret,
            settings.auth.session_ttl_hours,
            settings.auth.session_renew_after_hours,
        );
        let authorizer = Arc::new(Authorizer::new().await.context("casbin policy")?);
        let organizations = OrganizationService::new(
            db.clone(),
            sealer.clone(),
            tokens.clone(),
            mailer.clone(),
            settings.clone(),
            authorizer.clone(),
        );
        let accounts = AccountService::new(
            db.clone(),
            cache.clone(),
            mailer.clone(),
            tokens,
            settings.clone(),
            organizations.clone(),
        );
        let users = UserService::new(db.clone(), organizations.clone());
        let jobs = JobQueue::from_connection(&db, jobs_config(&settings))?;
        if settings.database.migrate_on_start {
            jobs.migrate()
                .await
                .context("cannot create the job tables")?;
        }
        let notifications = NotificationService::new(db.clone(), mailer.clone());
        let webhooks = WebhookService::new(
            db.clone(),
            sealer.clone(),
            jobs.clone(),
            WebhookConfig::from_settings(&settings),
        )
        .context("webhook HTTP client")?;
        let notifier: Arc<dyn Notifier> = Arc::new(notifications.clone());
        let channels = ChannelService::new(
            db.clone(),
            sealer.clone(),
            cache.clone(),
            providers.clone(),
            notifier.clone(),
            ChannelConfig::new(settings.frontend_url()),
        );
        let media = MediaService::from_settings(db.clone(), &settings)
            .context("media storage (STORAGE_PROVIDER, UPLOAD_DIRECTORY, CLOUDFLARE_*, media.*)")?;

        // Posts reach channels and media through their ports.
        let channel_port: Arc<dyn Channels> =
            Arc::new(crate::adapters::ChannelsForPosts(channels.clone()));
        let media_port: Arc<dyn MediaResolver> =
            Arc::new(crate::adapters::MediaForPosts(media.clone()));
        let listener: Arc<dyn PostListener> = Arc::new(webhooks.clone());
        let publisher = Publisher::new(jobs.clone(), providers.clone());
        let posts = PostsService::new(
            db.clone(),
            channel_port.clone(),
            providers.clone(),
            media_port.clone(),
            publisher.clone(),
            settings.server.calendar_cache_mb.saturating_mul(1 << 20),
        );
        channels.register_hooks(Arc::new(crate::adapters::PostsOfDeletedChannels(
            posts.clone(),
        )));
        let engine = PublishEngine::new(
            db.clone(),
            channel_port,
            media_port,
            notifier,
            listener,
            publisher,
            PublishSettings {
                concurrency: settings.workers.publish_concurrency,
                dispatchers: settings.workers.publish_dispatchers,
                base_backoff: std::time::Duration::from_secs(settings.workers.retry_base_secs),
                claim_ttl: std::time::Duration::from_secs(settings.workers.claim_ttl_secs),
                ..PublishSettings::default()
            },
            settings.frontend_url().to_string(),
        );
        let comments = CommentsService::new(db.clone());
        let auth = AuthContext {
            accounts,
            organizations,
            authorizer,
            cookies: CookiePolicy::new(
                &settings.app.frontend_url,
                &settings.auth.cookie_domain,
                settings.app.not_secured,
            ),
            not_secured: settings.app.not_secured,
        };

        Ok(Self {
            settings,
            db,
            cache,
            mailer,
            sealer,
            providers,
            auth: actix::Data::new(auth),
            users: actix::Data::new(users),
            channels: actix::Data::new(channels),
            media: actix::Data::new(media),
            jobs,
            notifications: actix::Data::new(notifications),
            webhooks: actix::Data::new(webhooks),
            posts: actix::Data::new(posts),
            comments: actix::Data::new(comments),
            engine,
        })
    }

    /// Starts the background workers of this process: publishing, webhook deliveries, the
    /// notification digest, the missed-post sweep, proactive token refresh and the purge of
    /// finished jobs.
    pub fn start_workers(&self, shutdown: CancellationToken) -> anyhow::Result<RunningWorkers> {
        let mut runtime = WorkerRuntime::new(self.jobs.clone());
        self.engine.clone().register(&mut runtime);
        postiz_notifications::register_workers(&mut runtime, &self.notifications, &self.webhooks);
        let channels = self.channels.clone();
        runtime.periodic(
            "channels.refresh-expiring",
            std::time::Duration::from_secs(3600),
            move || {
                let channels = channels.clone();
                async move {
                    channels
                        .refresh_expiring(std::time::Duration::from_secs(24 * 3600))
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
            },
        );
        runtime.retention(
            Retention::new(self.settings.workers.finished_jobs_retention()),
            std::time::Duration::from_secs(3600),
        );
        Ok(runtime.start(shutdown)?)
    }
}

/// The job engine's settings from ours.
fn jobs_config(settings: &Settings) -> JobsConfig {
    let defaults = JobsConfig::default();
    let poll = std::time::Duration::from_millis(settings.workers.poll_interval_ms);
    let orphan = std::time::Duration::from_secs(settings.workers.orphan_timeout_secs);
    let heartbeat = std::time::Duration::from_secs((orphan.as_secs() / 3).max(1));
    JobsConfig {
        poll_interval: poll,
        heartbeat_interval: heartbeat,
        missed_heartbeats: 3,
        lease_ttl: defaults.lease_ttl.min(orphan * 2),
        fetch_batch: settings.workers.fetch_batch,
        ..defaults
    }
}

/// The running HTTP server, and the background workers when they run in this process.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    workers: Option<(RunningWorkers, CancellationToken)>,
}

impl Application {
    /// Builds the state and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let state = AppState::build(settings).await?;
        Self::with_state(state)
    }

    pub fn with_state(state: AppState) -> anyhow::Result<Self> {
        let address = format!(
            "{}:{}",
            state.settings.server.host, state.settings.server.port
        );
        let listener =
            TcpListener::bind(&address).with_context(|| format!("cannot listen on {address}"))?;
        let port = listener.local_addr()?.port();
        let workers = match state.settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        let app_state = state.clone();
        let server = HttpServer::new(move || build_app(app_state.clone()))
            .workers(workers)
            .listen(listener)?
            .run();
        let background = if state.settings.workers.in_serve {
            let token = CancellationToken::new();
            Some((state.start_workers(token.clone())?, token))
        } else {
            None
        };
        Ok(Self {
            port,
            server,
            state,
            workers: background,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the server stops (SIGINT/SIGTERM), then lets in-flight jobs finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some((workers, token)) = self.workers {
            token.cancel();
            workers.join().await;
        }
        result
    }
}

fn cors(settings: &Settings) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            "content-type",
            "authorization",
            "auth",
            "showorg",
            "impersonate",
            "x-copilotkit-runtime-client-gql-version",
            "idempotency-key",
        ])
        .max_age(3600);
    let mut exposed = vec![
        "reload",
        "onboarding",
        "activate",
        "logout",
        "x-copilotkit-runtime-client-gql-version",
        "x-request-id",
        "retry-after",
        "idempotent-replayed",
    ];
    if settings.app.not_secured {
        exposed.extend(["auth", "showorg", "impersonate"]);
    } else {
        cors = cors.supports_credentials();
    }
    cors = cors.expose_headers(exposed.into_iter().map(HeaderName::from_static));
    for origin in settings.cors_origins() {
        cors = cors.allowed_origin(&origin);
    }
    cors
}

fn api_spec() -> DefaultApiRaw {
    DefaultApiRaw {
        info: Info {
            title: "Postiz API (Rust implementation)".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: Some(
                "Drop-in backend for the Postiz dashboard, CLI and SDK. Dashboard routes take \
                 the session in the `auth` header or cookie; `showorg` selects the organization."
                    .into(),
            ),
            ..Default::default()
        },
        tags: [
            "System",
            "Auth",
            "User",
            "Settings",
            "Integrations",
            "Media",
            "Posts",
            "Sets",
            "Signatures",
            "Preview",
            "Public API",
        ]
        .into_iter()
        .map(|name| Tag {
            name: name.into(),
            description: None,
            external_docs: None,
        })
        .collect(),
        ..Default::default()
    }
}

fn build_app(
    state: AppState,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let settings = &state.settings;
    App::new()
        .app_data(actix::Data::new(state.db.clone()))
        .app_data(actix::Data::new(state.cache.clone()))
        .app_data(actix::Data::from(state.settings.clone()))
        .app_data(state.auth.clone())
        .app_data(state.users.clone())
        .app_data(state.channels.clone())
        .app_data(state.media.clone())
        .app_data(state.notifications.clone())
        .app_data(state.webhooks.clone())
        .app_data(actix::Data::new(TagService::new(state.db.clone())))
        .app_data(actix::Data::new(SetService::new(state.db.clone())))
        .app_data(actix::Data::new(SignatureService::new(state.db.clone())))
        .app_data(state.posts.clone())
        .app_data(state.comments.clone())
        .app_data(actix::Data::new(postiz_public_api::PublicApi::new(
            state.cache.clone(),
            &settings.public_api,
        )))
        .app_data(JsonLimit(settings.server.json_limit))
        .app_data(actix::PayloadConfig::new(settings.server.json_limit))
        .wrap_api_with_spec(api_spec())
        .configure(system::configure)
        .configure(postiz_auth::configure)
        .configure(postiz_channels::configure)
        .configure(postiz_media::configure)
        .configure(postiz_notifications::configure)
        .configure(|cfg| postiz_posts::configure(cfg, settings.server.posts_json_limit))
        .configure(|cfg| postiz_public_api::configure(cfg, settings.server.posts_json_limit))
        .with_json_spec_at(docs::SPEC_V2)
        .with_json_spec_v3_at(docs::SPEC_V3)
        .with_swagger_ui_at(docs::DOCS)
        .build()
        .wrap(from_fn(docs::guard))
        .wrap(from_fn(postiz_auth::middleware::session_cookies))
        .wrap(cors(settings))
        .wrap(from_fn(crate::request_id::echo))
        .wrap(from_fn(postiz_core::telemetry::record_http_metrics))
        .wrap(TracingLogger::default())
}

/// Applies pending migrations and exits (`postiz migrate`).
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = postiz_core::db::connect(settings).await.with_context(|| {
        format!(
            "cannot open the database {}",
            postiz_core::db::describe(settings)
        )
    })?;
    let pending = Migrator::get_pending_migrations(&db).await?.len();
    Migrator::up(&db, None)
        .await
        .context("cannot apply the database migrations")?;
    JobQueue::from_connection(&db, jobs_config(settings))?
        .migrate()
        .await
        .context("cannot create the job tables")?;
    tracing::info!(
        database = %postiz_core::db::describe(settings),
        applied = pending,
        "migrations are up to date"
    );
    Ok(())
}

/// The OpenAPI 3 specification, produced by building the application in-process on a
/// throw-away SQLite database (no port is opened).
pub async fn openapi_spec(mut settings: Settings) -> anyhow::Result<String> {
    let dir = tempfile::tempdir().context("temporary folder")?;
    settings.app.data_dir = dir.path().to_path_buf();
    settings.database.url = String::new();
    settings.redis.url = String::new();
    settings.media.storage_provider = postiz_core::media_settings::StorageProvider::Local;
    settings.media.local.directory = dir.path().join("uploads");
    if settings.auth.jwt_secret.is_empty() {
        settings.auth.jwt_secret = "openapi-generation-only-secret".into();
    }
    let state = AppState::build(settings).await?;
    let app = actix_web::test::init_service(build_app(state)).await;
    let req = actix_web::test::TestRequest::get()
        .uri(docs::SPEC_V3)
        .to_request();
    let body = actix_web::test::call_and_read_body(&app, req).await;
    let value: serde_json::Value =
        serde_json::from_slice(&body).context("the specification is not JSON")?;
    Ok(serde_json::to_string_pretty(&value)?)
}

/// Says at start where everything lives, so a newcomer knows what runs.
pub fn log_layout(state: &AppState) {
    let s = &state.settings;
    let providers: Vec<&str> = state.providers.all().map(|p| p.identifier()).collect();
    tracing::info!(
        database = %postiz_core::db::describe(s),
        data_dir = %s.app.data_dir.display(),
        cache = state.cache.kind(),
        media = %describe_media(state),
        email = if state.mailer.delivers() { "smtp" } else { "log (EMAIL_PROVIDER not set)" },
        frontend_url = %s.app.frontend_url,
        docs = %format!("http://localhost:{}{}", s.server.port, docs::DOCS),
        providers = %if providers.is_empty() { "none".to_string() } else { providers.join(", ") },
        "postiz is configured"
    );
}

/// Where uploaded files go, for the start-up log.
fn describe_media(state: &AppState) -> String {
    let storage = state.media.storage();
    match storage.local_root() {
        Some(root) => format!(
            "local folder {} at {}",
            root.display(),
            storage.public_url("")
        ),
        None => format!("{} bucket at {}", storage.kind(), storage.public_url("")),
    }
}

/// Runs the background workers until the process is asked to stop (`postiz worker`); in-flight
/// jobs finish first.
pub async fn run_workers(state: AppState) -> anyhow::Result<()> {
    let token = CancellationToken::new();
    let workers = state.start_workers(token.clone())?;
    tracing::info!("workers running; stop with SIGINT or SIGTERM");
    shutdown_signal().await;
    tracing::info!("stopping workers");
    token.cancel();
    workers.join().await;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
