//! Media through the public API: uploads (streamed, as `/media/upload-server`), uploads from a
//! URL (fetched SSRF-safe) and the library.

use paperclip::actix::{CreatedJson, api_v2_operation, web};
use postiz_core::http::ValidatedJson;
use postiz_media::controller::{ServerUploadForm, receive_file};
use postiz_media::dto::MediaListQuery;
use postiz_media::{MediaPageView, MediaService, MediaView};

use crate::auth::{ApiKeyOrg, require_api_key};
use crate::dto::UploadFromUrlRequest;
use crate::error::ApiError;
use actix_web::middleware::from_fn;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/public/v1/upload")
            .route(web::post().to(upload))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/upload-from-url")
            .route(web::post().to(upload_from_url))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/media")
            .route(web::get().to(library))
            .wrap(from_fn(require_api_key)),
    );
}

/// Upload a file into the media library (multipart field `file`), streamed to storage. The
/// format is detected from the content: JPEG, PNG, GIF, WebP, AVIF, BMP, TIFF up to 10 MB and
/// MP4 up to 1 GB by default. Answers 201 with the library entry, whose `path` goes into a
/// post's `image`; 400 when the file is refused (nothing is kept).
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn upload(
    org: ApiKeyOrg,
    media: web::Data<MediaService>,
    form: ServerUploadForm,
) -> Result<CreatedJson<MediaView>, ApiError> {
    let stored = receive_file(&media, form).await?;
    Ok(CreatedJson(media.save(org.org_id(), &stored).await?))
}

/// Download an image or video from a URL into the media library (`{url}`). The URL is fetched
/// SSRF-safe: private, loopback and cloud metadata addresses are refused (unless
/// `DISABLE_SSRF_PROTECTION`), every redirect is checked, and the download stops at the size
/// limit. Answers 201 with the library entry; 400 when the URL is refused or unusable.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn upload_from_url(
    org: ApiKeyOrg,
    media: web::Data<MediaService>,
    body: ValidatedJson<UploadFromUrlRequest>,
) -> Result<CreatedJson<MediaView>, ApiError> {
    Ok(CreatedJson(
        media.upload_from_url(org.org_id(), body.url.trim()).await?,
    ))
}

/// The media library, newest first, 18 per page (`{pages, results}`); `page` starts at 1 and
/// `search` matches the original file name (the CLI's `media:list`).
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn library(
    org: ApiKeyOrg,
    media: web::Data<MediaService>,
    query: web::Query<MediaListQuery>,
) -> Result<web::Json<MediaPageView>, ApiError> {
    let page = match query.page.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<u64>().map_err(|_| {
            ApiError::from(postiz_core::AppError::validation(vec![
                "page must be a positive integer".into(),
            ]))
        })?),
    };
    Ok(web::Json(
        media
            .list(org.org_id(), page, query.search.as_deref())
            .await?,
    ))
}
