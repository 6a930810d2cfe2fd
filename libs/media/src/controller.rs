//! `/media` (Postiz `MediaController`): uploads, the library, deletion, alt text and
//! thumbnails, and the AI video options.
//!
//! Uploads are read from the multipart body as a stream and handed to the service chunk by
//! chunk: the service detects the format from the first bytes, enforces the size cap while
//! the bytes flow, and writes them to storage in parts. A 1 GB video never sits in memory.

use std::collections::BTreeMap;
use std::future::{Ready, ready};
use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::stream::Fuse;
use paperclip::actix::{OperationModifier, api_v2_operation, web};
use paperclip::v2::models::{
    DataType, DefaultOperationRaw, DefaultSchemaRaw, Either, MediaRange, Parameter, ParameterIn,
};
use paperclip::v2::schema::Apiv2Schema;
use postiz_auth::authz::ManageMedia;
use postiz_auth::{OrgContext, Require};
use postiz_core::http::{Reply, ValidatedJson, object_schema};
use postiz_core::{AppError, ErrorCode};
use serde::Serialize;

use crate::dto::{
    MediaListQuery, MediaPageView, MediaView, SaveMediaInformationRequest, StoredPathView,
    VideoOption,
};
use crate::service::{MediaService, StoredFile};

/// Room left in `Content-Length` for the multipart framing and the small text fields, when
/// using it to refuse a file that cannot fit before reading it.
const FORM_OVERHEAD: u64 = 1024 * 1024;
/// Text fields (`preventSave`, ...) are tiny: each is capped, and so is their number.
const MAX_TEXT_FIELD_BYTES: usize = 16 * 1024;
const MAX_TEXT_FIELDS: usize = 32;
/// After refusing an upload, the rest of the body is read and dropped (up to this much, for
/// this long) so the client receives the answer instead of a reset connection.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(10);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/media").route(web::get().to(list_media)))
        .service(web::resource("/media/upload-server").route(web::post().to(upload_server)))
        .service(web::resource("/media/upload-simple").route(web::post().to(upload_simple)))
        .service(web::resource("/media/information").route(web::post().to(save_information)))
        .service(web::resource("/media/video-options").route(web::get().to(video_options)))
        .service(web::resource("/media/{id}").route(web::delete().to(delete_media)));
}

/// Upload a file into the media library (multipart field `file`). The format is detected from
/// the content: JPEG, PNG, GIF, WebP, AVIF, BMP, TIFF up to 10 MB and MP4 up to 1 GB by
/// default (`media.*` settings). Answers 201 with the library entry; 400 when the file is
/// refused (nothing is stored).
#[api_v2_operation(tags(Media))]
#[tracing::instrument(skip_all)]
async fn upload_server(
    org: Require<ManageMedia>,
    media: web::Data<MediaService>,
    form: ServerUploadForm,
) -> Result<Reply<MediaView>, AppError> {
    let upload = receive(&media, form.0).await?;
    let view = media.save(org.org_id(), &upload.stored).await?;
    Ok(Reply::ok(view).status(StatusCode::CREATED))
}

/// Upload a file (multipart field `file`). With `preventSave=true` the file is stored but not
/// added to the library, and the answer is `{path}` (the dashboard does this for video
/// thumbnails); otherwise the answer is the library entry. 201; 400 when refused.
#[api_v2_operation(tags(Media))]
#[tracing::instrument(skip_all)]
async fn upload_simple(
    org: Require<ManageMedia>,
    media: web::Data<MediaService>,
    form: SimpleUploadForm,
) -> Result<Reply<SimpleUploadResponse>, AppError> {
    let upload = receive(&media, form.0).await?;
    let body = if upload.prevent_save {
        SimpleUploadResponse::Stored(StoredPathView {
            path: upload.stored.path,
        })
    } else {
        SimpleUploadResponse::Saved(media.save(org.org_id(), &upload.stored).await?)
    };
    Ok(Reply::ok(body).status(StatusCode::CREATED))
}

/// The organization's media library, newest first, 18 per page: `{pages, results}`.
/// `search` matches the original file name, case-insensitively.
#[api_v2_operation(tags(Media))]
#[tracing::instrument(skip_all)]
async fn list_media(
    org: Require<ManageMedia>,
    media: web::Data<MediaService>,
    query: web::Query<MediaListQuery>,
) -> Result<web::Json<MediaPageView>, AppError> {
    let page =
        match query.page.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(raw.parse::<u64>().map_err(|_| {
                AppError::validation(vec!["page must be a positive integer".into()])
            })?),
        };
    let search = query.search.as_deref();
    Ok(web::Json(media.list(org.org_id(), page, search).await?))
}

/// Remove a file from the library (a soft delete: posts that use it keep publishing it).
/// Answers the removed entry; 404 for a file that is not in this organization's library.
#[api_v2_operation(tags(Media))]
#[tracing::instrument(skip_all)]
async fn delete_media(
    org: Require<ManageMedia>,
    media: web::Data<MediaService>,
    path: web::Path<String>,
) -> Result<web::Json<MediaView>, AppError> {
    let id = path.into_inner();
    Ok(web::Json(media.delete(org.org_id(), &id).await?))
}

/// Save a file's alt text, thumbnail URL and thumbnail position (ms). 201 with the entry;
/// 404 for a file that is not in this organization's library.
#[api_v2_operation(tags(Media))]
#[tracing::instrument(skip_all)]
async fn save_information(
    org: Require<ManageMedia>,
    media: web::Data<MediaService>,
    body: ValidatedJson<SaveMediaInformationRequest>,
) -> Result<Reply<MediaView>, AppError> {
    let body = body.into_inner();
    let timestamp = match body.thumbnail_timestamp {
        None => None,
        Some(t) if (0.0..9.0e15).contains(&t) => Some(t.round() as i64),
        Some(_) => {
            return Err(AppError::validation(vec![
                "thumbnailTimestamp must be a non-negative number of milliseconds".into(),
            ]));
        }
    };
    let alt = body.alt.as_deref().filter(|a| !a.is_empty());
    if alt.is_some_and(|a| a.chars().count() > MAX_ALT_CHARS) {
        return Err(AppError::validation(vec![format!(
            "alt must be at most {MAX_ALT_CHARS} characters long"
        )]));
    }
    let view = media
        .save_information(
            org.org_id(),
            body.id.trim(),
            alt,
            body.thumbnail.as_deref(),
            timestamp,
        )
        .await?;
    Ok(Reply::ok(view).status(StatusCode::CREATED))
}

/// Longest alt text kept (networks accept 1,000 to 5,000 characters).
const MAX_ALT_CHARS: usize = 5000;

/// The AI video generators offered in the editor. This build ships none, so the answer is
/// always an empty array (the dashboard needs an array here).
#[api_v2_operation(tags(Media))]
#[tracing::instrument(skip_all)]
async fn video_options(
    _org: OrgContext,
    media: web::Data<MediaService>,
) -> web::Json<Vec<VideoOption>> {
    web::Json(media.video_options())
}

/// `upload-simple`'s answer: the library entry, or `{path}` with `preventSave=true`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum SimpleUploadResponse {
    Saved(MediaView),
    Stored(StoredPathView),
}

impl Apiv2Schema for SimpleUploadResponse {
    fn name() -> Option<String> {
        Some("SimpleUploadResponse".into())
    }
    fn raw_schema() -> DefaultSchemaRaw {
        let mut schema = object_schema(
            "The library entry (as MediaView), or only `{path}` when preventSave=true",
        );
        let mut properties = BTreeMap::new();
        for (name, required) in [
            ("id", false),
            ("name", false),
            ("originalName", false),
            ("path", true),
            ("thumbnail", false),
            ("alt", false),
            ("thumbnailTimestamp", false),
        ] {
            let data_type = if name == "thumbnailTimestamp" {
                DataType::Integer
            } else {
                DataType::String
            };
            properties.insert(
                name.to_string(),
                Box::new(DefaultSchemaRaw {
                    data_type: Some(data_type),
                    ..Default::default()
                }),
            );
            if required {
                schema.required.insert(name.to_string());
            }
        }
        schema.properties = properties;
        schema.name = Self::name();
        schema
    }
}

impl OperationModifier for SimpleUploadResponse {}

/// A multipart body, not read yet.
pub struct UploadForm {
    multipart: Fuse<Multipart>,
    content_length: Option<u64>,
}

impl UploadForm {
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self {
        let content_length = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        Self {
            multipart: Multipart::new(req.headers(), payload.take()).fuse(),
            content_length,
        }
    }
}

/// Documents a multipart upload: a `file` field, and `preventSave` when `simple`.
fn document_upload(op: &mut DefaultOperationRaw, simple: bool) {
    op.consumes = Some(
        [MediaRange(mime::MULTIPART_FORM_DATA)]
            .into_iter()
            .collect(),
    );
    op.parameters.push(Either::Right(Parameter {
        in_: ParameterIn::FormData,
        name: "file".into(),
        required: true,
        data_type: Some(DataType::File),
        description: Some("The image or video".into()),
        ..Default::default()
    }));
    if simple {
        op.parameters.push(Either::Right(Parameter {
            in_: ParameterIn::FormData,
            name: "preventSave".into(),
            required: false,
            data_type: Some(DataType::String),
            description: Some(
                "`true`: store the file without adding it to the library; answers `{path}`".into(),
            ),
            ..Default::default()
        }));
    }
}

macro_rules! upload_form {
    ($name:ident, $simple:expr) => {
        /// The multipart body of an upload route.
        pub struct $name(UploadForm);

        impl FromRequest for $name {
            type Error = AppError;
            type Future = Ready<Result<Self, AppError>>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                ready(Ok($name(UploadForm::from_request(req, payload))))
            }
        }

        impl Apiv2Schema for $name {}

        impl OperationModifier for $name {
            fn update_parameter(op: &mut DefaultOperationRaw) {
                document_upload(op, $simple);
            }
            fn update_definitions(_: &mut BTreeMap<String, DefaultSchemaRaw>) {}
        }
    };
}

upload_form!(ServerUploadForm, false);
upload_form!(SimpleUploadForm, true);

/// Reads an upload form (the file in the field `file`) straight to storage, as
/// `/media/upload-server` does, without adding it to the library: for other modules' upload
/// routes (the public API's `POST /public/v1/upload`). On refusal nothing is kept and the rest
/// of the body is drained.
pub async fn receive_file(
    media: &MediaService,
    form: ServerUploadForm,
) -> Result<StoredFile, AppError> {
    receive(media, form.0).await.map(|upload| upload.stored)
}

/// A file received and stored, and the form's `preventSave`.
struct Upload {
    stored: StoredFile,
    prevent_save: bool,
}

/// Reads the form: the one file goes straight to storage through the service; text fields are
/// small and capped. On any refusal the stored file (if any) is removed and the rest of the
/// body drained, so nothing is kept and the client gets the answer.
async fn receive(media: &MediaService, form: UploadForm) -> Result<Upload, AppError> {
    let UploadForm {
        mut multipart,
        content_length,
    } = form;
    let mut stored: Option<StoredFile> = None;
    let mut prevent_save = false;
    let outcome: Result<(), AppError> = async {
        let mut text_fields = 0usize;
        while let Some(field) = multipart.next().await {
            let field = field.map_err(multipart_error)?;
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field
                .content_disposition()
                .and_then(|cd| cd.get_filename())
                .map(str::to_string);
            if name == "file" || file_name.is_some() {
                if name != "file" {
                    return Err(AppError::bad_request(format!(
                        "Unexpected file field `{}`: send the file in the `file` field",
                        printable(&name)
                    )));
                }
                if stored.is_some() {
                    return Err(AppError::bad_request(
                        "Only one file may be uploaded per request",
                    ));
                }
                let hint = content_length.map(|n| n.saturating_sub(FORM_OVERHEAD));
                let mut body = field.fuse();
                stored = Some(media.store(file_name.as_deref(), hint, &mut body).await?);
            } else {
                text_fields += 1;
                if text_fields > MAX_TEXT_FIELDS {
                    return Err(AppError::bad_request("Too many form fields"));
                }
                let value = read_text(field, &name).await?;
                if name == "preventSave" {
                    prevent_save = value.trim().eq_ignore_ascii_case("true");
                }
            }
        }
        Ok(())
    }
    .await;
    match (outcome, stored) {
        (Ok(()), Some(stored)) => Ok(Upload {
            stored,
            prevent_save,
        }),
        (Ok(()), None) => Err(AppError::bad_request(
            "No file was uploaded: send it in the multipart field `file`",
        )),
        (Err(e), stored) => {
            if let Some(stored) = &stored {
                media.discard(stored).await;
            }
            if e.code() != ErrorCode::UnsupportedMediaType {
                drain(&mut multipart).await;
            }
            Err(e)
        }
    }
}

async fn read_text(mut field: actix_multipart::Field, name: &str) -> Result<String, AppError> {
    let mut value = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(multipart_error)?;
        if value.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            return Err(AppError::bad_request(format!(
                "The form field `{}` is longer than {MAX_TEXT_FIELD_BYTES} bytes",
                printable(name)
            )));
        }
        value.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&value).into_owned())
}

/// Reads and drops what is left of the body, within limits.
async fn drain(multipart: &mut Fuse<Multipart>) {
    let work = async {
        let mut seen = 0u64;
        while let Some(Ok(mut field)) = multipart.next().await {
            while let Some(chunk) = field.next().await {
                let Ok(chunk) = chunk else {
                    return;
                };
                seen += chunk.len() as u64;
                if seen > DRAIN_LIMIT {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, work).await;
}

fn multipart_error(e: actix_multipart::MultipartError) -> AppError {
    use actix_multipart::MultipartError as E;
    match e {
        E::ContentTypeMissing | E::ContentTypeParse | E::ContentTypeIncompatible => AppError::new(
            ErrorCode::UnsupportedMediaType,
            "The body must be multipart/form-data with the file in the field `file`",
        ),
        other => AppError::bad_request(format!("Invalid multipart body: {other}")),
    }
}

/// A field name safe to echo back.
fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}
