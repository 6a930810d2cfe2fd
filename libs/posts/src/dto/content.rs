//! Tags, sets and signatures in Postiz's JSON shape (`dtos/posts/create.tag.dto.ts`,
//! `dtos/sets/sets.dto.ts`, `dtos/signature/signature.dto.ts`, and the Prisma rows Postiz
//! answers with).

use paperclip::actix::Apiv2Schema;
use paperclip::v2::models::DefaultSchemaRaw;
use postiz_core::ids::to_json_time;
use postiz_entity::{set, signature, tag};
use serde::{Deserialize, Serialize, Serializer};
use validator::{Validate, ValidationError};

use crate::service::sets::content_problem;

fn not_blank(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        let mut e = ValidationError::new("blank");
        e.message = Some("must not be blank".into());
        return Err(e);
    }
    Ok(())
}

fn no_control_chars(value: &str) -> Result<(), ValidationError> {
    if value.chars().any(char::is_control) {
        let mut e = ValidationError::new("control");
        e.message = Some("must not contain control characters".into());
        return Err(e);
    }
    Ok(())
}

fn no_nul(value: &str) -> Result<(), ValidationError> {
    if value.contains('\0') {
        let mut e = ValidationError::new("nul");
        e.message = Some("must not contain NUL characters".into());
        return Err(e);
    }
    Ok(())
}

/// A set's content must be the composer's state: a JSON object serialized as a string, of
/// bounded size.
fn json_object(value: &str) -> Result<(), ValidationError> {
    match content_problem(value) {
        None => Ok(()),
        Some(problem) => {
            let mut e = ValidationError::new("content");
            e.message = Some(problem.into());
            Err(e)
        }
    }
}

fn id_shape(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() || value.len() > 64 {
        let mut e = ValidationError::new("id");
        e.message = Some("must be an id".into());
        return Err(e);
    }
    Ok(())
}

// ---- tags ----

/// `POST /posts/tags` and `PUT /posts/tags/{id}` (Postiz `CreateTagDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct TagRequest {
    /// The label shown on posts; unique in the organization (surrounding spaces are dropped).
    #[validate(
        length(min = 1, max = 255),
        custom(function = "not_blank"),
        custom(function = "no_control_chars")
    )]
    pub name: String,
    /// A CSS color, `#942828` for example.
    #[validate(
        length(min = 1, max = 32),
        custom(function = "not_blank"),
        custom(function = "no_control_chars")
    )]
    pub color: String,
}

/// A tag as Postiz answers it (the Prisma `Tags` row).
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct TagDto {
    pub id: String,
    pub name: String,
    pub color: String,
    /// The organization's id (Postiz names it `orgId`).
    pub org_id: String,
    pub created_at: String,
    pub updated_at: String,
    /// Set once deleted (the answer of `DELETE /posts/tags/{id}`); otherwise null.
    pub deleted_at: Option<String>,
}

impl From<tag::Model> for TagDto {
    fn from(t: tag::Model) -> Self {
        Self {
            id: t.id,
            name: t.name,
            color: t.color,
            org_id: t.organization_id,
            created_at: to_json_time(&t.created_at),
            updated_at: to_json_time(&t.updated_at),
            deleted_at: t.deleted_at.as_ref().map(to_json_time),
        }
    }
}

/// `GET /posts/tags`.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct TagsResponse {
    pub tags: Vec<TagDto>,
}

// ---- sets ----

/// `POST /sets` (Postiz `SetsDto`): without `id` a new set, with `id` a change of that set
/// (the dashboard edits sets this way).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct CreateSetRequest {
    #[serde(default)]
    #[validate(custom(function = "id_shape"))]
    pub id: Option<String>,
    #[validate(
        length(min = 1, max = 255),
        custom(function = "not_blank"),
        custom(function = "no_control_chars")
    )]
    pub name: String,
    /// The composer's state as a JSON string (`JSON.stringify` of an object), stored as is.
    #[validate(custom(function = "json_object"))]
    pub content: String,
}

/// `PUT /sets` (Postiz `UpdateSetsDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct UpdateSetRequest {
    #[validate(custom(function = "id_shape"))]
    pub id: String,
    #[validate(
        length(min = 1, max = 255),
        custom(function = "not_blank"),
        custom(function = "no_control_chars")
    )]
    pub name: String,
    /// The composer's state as a JSON string (`JSON.stringify` of an object), stored as is.
    #[validate(custom(function = "json_object"))]
    pub content: String,
}

/// A set as Postiz answers it (the Prisma `Sets` row).
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct SetDto {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    /// The composer's state as a JSON string; the dashboard `JSON.parse`s it.
    pub content: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<set::Model> for SetDto {
    fn from(s: set::Model) -> Self {
        Self {
            id: s.id,
            organization_id: s.organization_id,
            name: s.name,
            content: s.content,
            created_at: to_json_time(&s.created_at),
            updated_at: to_json_time(&s.updated_at),
        }
    }
}

/// The id of a set or signature just written.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct IdResponse {
    pub id: String,
}

// ---- signatures ----

/// `POST /signatures` and `PUT /signatures/{id}` (Postiz `SignatureDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct SignatureRequest {
    /// Editor HTML appended to new posts.
    #[validate(
        length(min = 1, max = 20000),
        custom(function = "not_blank"),
        custom(function = "no_nul")
    )]
    pub content: String,
    /// Add this signature to every new post; setting it unsets it on the others.
    pub auto_add: bool,
}

/// A signature as Postiz answers it (the Prisma `Signatures` row).
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct SignatureDto {
    pub id: String,
    pub organization_id: String,
    pub content: String,
    pub auto_add: bool,
    pub created_at: String,
    pub updated_at: String,
    /// Set once deleted (the answer of `DELETE /signatures/{id}`); otherwise null.
    pub deleted_at: Option<String>,
}

impl From<signature::Model> for SignatureDto {
    fn from(s: signature::Model) -> Self {
        Self {
            id: s.id,
            organization_id: s.organization_id,
            content: s.content,
            auto_add: s.auto_add,
            created_at: to_json_time(&s.created_at),
            updated_at: to_json_time(&s.updated_at),
            deleted_at: s.deleted_at.as_ref().map(to_json_time),
        }
    }
}

/// `GET /signatures/default`: the signature added automatically, or `{}` when there is none.
#[derive(Debug)]
pub struct DefaultSignatureResponse(pub Option<SignatureDto>);

impl Serialize for DefaultSignatureResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(s) => s.serialize(serializer),
            None => serde_json::Map::new().serialize(serializer),
        }
    }
}

impl paperclip::v2::schema::Apiv2Schema for DefaultSignatureResponse {
    fn name() -> Option<String> {
        Some("DefaultSignatureResponse".into())
    }

    fn raw_schema() -> DefaultSchemaRaw {
        // Every field is optional: the body is `{}` when no signature is added automatically.
        let mut schema = <SignatureDto as paperclip::v2::schema::Apiv2Schema>::raw_schema();
        schema.name = Some("DefaultSignatureResponse".into());
        schema.required = Default::default();
        schema.description =
            Some("The signature added automatically, or an empty object when there is none".into());
        schema
    }
}

impl paperclip::actix::OperationModifier for DefaultSignatureResponse {}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::service::sets::SET_CONTENT_MAX_BYTES;

    #[test]
    fn set_content_must_be_a_json_object() {
        assert!(json_object(r#"{"a":1}"#).is_ok());
        assert!(json_object("[1]").is_err());
        assert!(json_object("not json").is_err());
        assert!(
            json_object(&format!(
                "{{\"a\":\"{}\"}}",
                "x".repeat(SET_CONTENT_MAX_BYTES)
            ))
            .is_err()
        );
    }

    #[test]
    fn default_signature_is_an_empty_object_when_absent() {
        let none = serde_json::to_string(&DefaultSignatureResponse(None)).unwrap_or_default();
        assert_eq!(none, "{}");
    }
}
