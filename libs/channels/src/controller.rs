//! `/integrations`: Postiz's `IntegrationsController` (session routes) and
//! `NoAuthIntegrationsController` (catalogue and the OAuth callback).

use actix_web::http::StatusCode;
use paperclip::actix::{api_v2_operation, web};
use postiz_auth::authz::ManageChannels;
use postiz_auth::{OrgContext, Require};
use postiz_core::AppError;
use postiz_core::http::{EmptyReply, Reply, ValidatedJson};
use postiz_core::ids::to_json_time;
use postiz_provider::{Capabilities, CustomField, EditorFormat, FieldType, Page};

use crate::dto::{
    AuthUrlQuery, AuthUrlResponse, CatalogueItem, CatalogueResponse, ChannelIdRequest,
    ConnectRequest, ConnectResponse, CustomFieldDto, CustomerDto, CustomerNameRequest,
    CustomerRefDto, FunctionRequest, GroupRequest, IdResponse, IntegrationListItem,
    IntegrationListResponse, IntegrationRow, PageDto, PostingTime, PostingTimesRequest,
    SelectPageRequest, SettingsRequest, SuccessResponse,
};
use crate::error::ChannelError;
use crate::service::{AuthUrlOptions, ChannelService, ConnectInput};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/integrations")
            .route(web::get().to(catalogue))
            .route(web::delete().to(delete_channel)),
    )
    .service(web::resource("/integrations/list").route(web::get().to(list)))
    .service(web::resource("/integrations/customers").route(web::get().to(customers)))
    .service(web::resource("/integrations/disable").route(web::post().to(disable)))
    .service(web::resource("/integrations/enable").route(web::post().to(enable)))
    .service(web::resource("/integrations/function").route(web::post().to(function)))
    .service(web::resource("/integrations/social/{integration}").route(web::get().to(auth_url)))
    .service(
        web::resource("/integrations/social-connect/{integration}")
            .route(web::post().to(social_connect)),
    )
    .service(
        web::resource("/integrations/provider/{id}/connect").route(web::post().to(select_page)),
    )
    .service(
        web::resource("/integrations/public/provider/{id}/connect")
            .route(web::post().to(select_page_public)),
    )
    .service(web::resource("/integrations/{id}/time").route(web::post().to(set_time)))
    .service(web::resource("/integrations/{id}/settings").route(web::post().to(set_settings)))
    .service(web::resource("/integrations/{id}/group").route(web::put().to(set_group)))
    .service(
        web::resource("/integrations/{id}/customer-name").route(web::put().to(set_customer_name)),
    );
}

fn editor_name(editor: EditorFormat) -> String {
    match editor {
        EditorFormat::None => "none",
        EditorFormat::Normal => "normal",
        EditorFormat::Markdown => "markdown",
        EditorFormat::Html => "html",
    }
    .into()
}

fn custom_field(f: &CustomField) -> CustomFieldDto {
    CustomFieldDto {
        key: f.key.clone(),
        label: f.label.clone(),
        default_value: f.default_value.clone(),
        validation: f.validation.clone(),
        field_type: match f.field_type {
            FieldType::Text => "text",
            FieldType::Password => "password",
        }
        .into(),
        hint: f.hint.clone(),
    }
}

fn custom_fields(caps: &Capabilities) -> Option<Vec<CustomFieldDto>> {
    (!caps.custom_fields.is_empty()).then(|| caps.custom_fields.iter().map(custom_field).collect())
}

fn json_string(value: &serde_json::Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

fn page(p: Page) -> PageDto {
    PageDto {
        page: p.id.clone(),
        page_id: p.id.clone(),
        id: p.id,
        name: p.name,
        username: p.username,
        picture: p.picture,
    }
}

/// A string or number from a loosely typed body field.
fn id_value(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The catalogue of providers a user can connect: enabled, with credentials, not hidden
/// (`HIDDEN_PROVIDERS`). No session needed.
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn catalogue(
    channels: web::Data<ChannelService>,
) -> Result<web::Json<CatalogueResponse>, AppError> {
    let social = channels
        .catalogue()
        .iter()
        .map(|p| {
            let caps = p.capabilities();
            CatalogueItem {
                name: caps.name.into(),
                identifier: caps.identifier.into(),
                tool_tip: caps.tool_tip.map(str::to_string),
                editor: editor_name(caps.editor),
                is_external: false,
                is_web3: caps.is_web3,
                is_chrome_extension: false,
                custom_fields: custom_fields(caps),
            }
        })
        .collect();
    Ok(web::Json(CatalogueResponse {
        social,
        article: Vec::new(),
    }))
}

/// The organization's channels, with what the dashboard needs from each provider. Channels of a
/// provider switched off on this server are still listed (so they can be deleted).
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn list(
    org: OrgContext,
    channels: web::Data<ChannelService>,
) -> Result<web::Json<IntegrationListResponse>, AppError> {
    let list = channels.list(org.org_id()).await?;
    let integrations = list
        .into_iter()
        .map(|c| {
            let provider = channels.provider(&c.provider_identifier);
            let caps = provider.as_ref().map(|p| p.capabilities());
            let fields = caps.and_then(custom_fields);
            IntegrationListItem {
                editor: caps.map_or_else(|| "normal".into(), |c| editor_name(c.editor)),
                strip_links: caps.is_some_and(|c| c.strip_links),
                picture: c
                    .picture
                    .clone()
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| "/no-picture.jpg".into()),
                is_custom_fields: fields.is_some(),
                custom_fields: fields,
                time: c
                    .posting_times
                    .iter()
                    .map(|t| PostingTime { time: *t })
                    .collect(),
                additional_settings: json_string(&c.additional_settings),
                customer: c.customer.map(|cu| CustomerRefDto {
                    id: cu.id,
                    name: cu.name,
                }),
                name: c.name,
                id: c.id,
                internal_id: c.internal_id,
                disabled: c.disabled,
                identifier: c.provider_identifier,
                in_between_steps: c.in_between_steps,
                refresh_needed: c.refresh_needed,
                display: c.profile,
                kind: c.kind,
                change_profile_picture: false,
                change_nick_name: false,
            }
        })
        .collect();
    Ok(web::Json(IntegrationListResponse { integrations }))
}

/// The organization's customers (client groups).
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn customers(
    org: OrgContext,
    channels: web::Data<ChannelService>,
) -> Result<web::Json<Vec<CustomerDto>>, AppError> {
    let list = channels.customers(org.org_id()).await?;
    Ok(web::Json(
        list.into_iter()
            .map(|c| CustomerDto {
                created_at: to_json_time(&c.created_at),
                deleted_at: c.deleted_at.as_ref().map(to_json_time),
                id: c.id,
                name: c.name,
                org_id: c.organization_id,
            })
            .collect(),
    ))
}

/// The network's authorization URL (`{url}`); for credential networks the URL is the state the
/// dashboard posts back with the fields. `?refresh=<internalId>` reconnects that channel.
/// `{err: true}` when the network could not be reached, as Postiz.
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all, fields(provider))]
async fn auth_url(
    org: Require<ManageChannels>,
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
    query: web::Query<AuthUrlQuery>,
) -> Result<web::Json<AuthUrlResponse>, AppError> {
    let identifier = path.into_inner();
    tracing::Span::current().record("provider", identifier.as_str());
    let query = query.into_inner();
    let options = AuthUrlOptions {
        refresh: query.refresh,
        onboarding: query.onboarding.as_deref() == Some("true"),
        redirect: query.redirect_url,
    };
    match channels.auth_url(org.org_id(), &identifier, options).await {
        Ok(url) => Ok(web::Json(AuthUrlResponse {
            url: Some(url),
            err: None,
        })),
        Err(ChannelError::Provider(_)) => Ok(web::Json(AuthUrlResponse {
            url: None,
            err: Some(true),
        })),
        Err(e) => Err(e.into()),
    }
}

/// Finishes a connection from the network's callback. No session: the organization comes from
/// the state. A refused connection is 409 `{msg}` as Postiz.
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all, fields(provider))]
async fn social_connect(
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
    body: ValidatedJson<ConnectRequest>,
) -> Result<Reply<ConnectResponse>, AppError> {
    let identifier = path.into_inner();
    tracing::Span::current().record("provider", identifier.as_str());
    let body = body.into_inner();
    let timezone = match &body.timezone {
        Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        _ => None,
    }
    .filter(|t| t.is_finite() && t.abs() <= 1440.0)
    .map(|t| t.round() as i32);
    let connected = channels
        .connect(
            &identifier,
            ConnectInput {
                state: body.state,
                code: body.code,
                timezone,
            },
        )
        .await?;
    let r = IntegrationRow::from(connected.channel);
    Ok(Reply::ok(ConnectResponse {
        id: r.id,
        internal_id: r.internal_id,
        organization_id: r.organization_id,
        name: r.name,
        picture: r.picture,
        provider_identifier: r.provider_identifier,
        kind: r.kind,
        token_expiration: r.token_expiration,
        disabled: r.disabled,
        profile: r.profile,
        in_between_steps: r.in_between_steps,
        refresh_needed: r.refresh_needed,
        posting_times: r.posting_times,
        customer_id: r.customer_id,
        root_internal_id: r.root_internal_id,
        additional_settings: r.additional_settings,
        created_at: r.created_at,
        updated_at: r.updated_at,
        deleted_at: r.deleted_at,
        onboarding: connected.onboarding,
        pages: connected.pages.into_iter().map(page).collect(),
        return_url: connected.return_url,
    })
    .status(StatusCode::CREATED))
}

/// Binds a between-steps channel to the picked page (`{page}`).
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn select_page(
    org: Require<ManageChannels>,
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
    body: ValidatedJson<SelectPageRequest>,
) -> Result<Reply<SuccessResponse>, AppError> {
    let page_id = picked_page(&body)?;
    channels
        .select_page(org.org_id(), &path.into_inner(), &page_id)
        .await?;
    Ok(Reply::ok(SuccessResponse { success: true }).status(StatusCode::CREATED))
}

fn picked_page(body: &SelectPageRequest) -> Result<String, AppError> {
    id_value(body.page.as_ref())
        .or_else(|| id_value(body.page_id.as_ref()))
        .or_else(|| id_value(body.id.as_ref()))
        .ok_or_else(|| AppError::validation(vec!["page is required".into()]))
}

/// Binds a between-steps channel to the picked page without a session: the `state` of the
/// connection that created the channel authorizes one pick (shared connect links).
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn select_page_public(
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
    body: ValidatedJson<SelectPageRequest>,
) -> Result<Reply<SuccessResponse>, AppError> {
    let state = body
        .state
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::bad_request("Invalid state"))?;
    let page_id = picked_page(&body)?;
    channels
        .select_page_with_state(state, &path.into_inner(), &page_id)
        .await?;
    Ok(Reply::ok(SuccessResponse { success: true }).status(StatusCode::CREATED))
}

/// Provider helper functions; only the page pickers (`pages`, `companies`) are served, for the
/// dashboard's "continue" dialog of a between-steps channel.
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn function(
    org: Require<ManageChannels>,
    channels: web::Data<ChannelService>,
    body: ValidatedJson<FunctionRequest>,
) -> Result<Reply<Vec<PageDto>>, AppError> {
    let body = body.into_inner();
    if !matches!(body.name.as_str(), "pages" | "companies") {
        return Err(AppError::bad_request("Function not found"));
    }
    let pages = channels.list_pages(org.org_id(), &body.id).await?;
    Ok(Reply::ok(pages.into_iter().map(page).collect()).status(StatusCode::CREATED))
}

/// Switches a channel off: it stays listed and is not published to.
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn disable(
    org: Require<ManageChannels>,
    channels: web::Data<ChannelService>,
    body: ValidatedJson<ChannelIdRequest>,
) -> Result<EmptyReply, AppError> {
    channels.set_disabled(org.org_id(), &body.id, true).await?;
    Ok(EmptyReply::new().status(StatusCode::CREATED))
}

/// Switches a channel back on.
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn enable(
    org: Require<ManageChannels>,
    channels: web::Data<ChannelService>,
    body: ValidatedJson<ChannelIdRequest>,
) -> Result<EmptyReply, AppError> {
    channels.set_disabled(org.org_id(), &body.id, false).await?;
    Ok(EmptyReply::new().status(StatusCode::CREATED))
}

/// Deletes a channel (soft delete; its pending posts are cancelled by the posts module).
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn delete_channel(
    org: Require<ManageChannels>,
    channels: web::Data<ChannelService>,
    body: ValidatedJson<ChannelIdRequest>,
) -> Result<web::Json<IntegrationRow>, AppError> {
    let deleted = channels.delete(org.org_id(), &body.id).await?;
    Ok(web::Json(IntegrationRow::from(deleted)))
}

/// Preferred posting times (`{time: [{time: minutes}]}`).
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn set_time(
    org: Require<ManageChannels>,
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
    body: ValidatedJson<PostingTimesRequest>,
) -> Result<Reply<IdResponse>, AppError> {
    let id = path.into_inner();
    let times: Vec<i32> = body.time.iter().map(|t| t.time).collect();
    channels
        .set_posting_times(org.org_id(), &id, &times)
        .await?;
    Ok(Reply::ok(IdResponse { id }).status(StatusCode::CREATED))
}

/// The channel's additional settings (`{additionalSettings: "<JSON array>"}`).
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn set_settings(
    org: Require<ManageChannels>,
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
    body: ValidatedJson<SettingsRequest>,
) -> Result<EmptyReply, AppError> {
    channels
        .set_additional_settings(org.org_id(), &path.into_inner(), &body.additional_settings)
        .await?;
    Ok(EmptyReply::new().status(StatusCode::CREATED))
}

/// Assigns the channel to a customer by id (`{group}`); empty removes it.
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn set_group(
    org: Require<ManageChannels>,
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
    body: ValidatedJson<GroupRequest>,
) -> Result<web::Json<IntegrationRow>, AppError> {
    let group = body
        .group
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty());
    let channel = channels
        .set_customer(org.org_id(), &path.into_inner(), group)
        .await?;
    Ok(web::Json(IntegrationRow::from(channel)))
}

/// Assigns the channel to a customer by name, created when new (`{name}`); empty removes it.
#[api_v2_operation(tags(Integrations))]
#[tracing::instrument(skip_all)]
async fn set_customer_name(
    org: Require<ManageChannels>,
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
    body: ValidatedJson<CustomerNameRequest>,
) -> Result<web::Json<IntegrationRow>, AppError> {
    let channel = channels
        .set_customer_by_name(org.org_id(), &path.into_inner(), body.name.as_deref())
        .await?;
    Ok(web::Json(IntegrationRow::from(channel)))
}
