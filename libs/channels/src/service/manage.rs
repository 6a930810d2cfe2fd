//! Listing and managing an organization's channels and customers.

use postiz_entity::customer;

use super::{Channel, ChannelService, posting_times_json};
use crate::error::ChannelError;
use crate::repository::{self as repo, ChannelBadgeRow};

/// Longest customer name.
const MAX_CUSTOMER_NAME: usize = 255;

impl ChannelService {
    /// The organization's channels (not deleted), oldest first, with their customers.
    pub async fn list(&self, org_id: &str) -> Result<Vec<Channel>, ChannelError> {
        Ok(repo::list(self.db(), org_id)
            .await?
            .into_iter()
            .map(|(row, customer)| Channel::from_row(row, customer))
            .collect())
    }

    /// What views of posts show of the organization's channels (not deleted), oldest first.
    pub async fn list_badges(&self, org_id: &str) -> Result<Vec<ChannelBadgeRow>, ChannelError> {
        Ok(repo::list_badges(self.db(), org_id).await?)
    }

    /// A channel of the organization, if it exists and is not deleted.
    pub async fn find(
        &self,
        org_id: &str,
        channel_id: &str,
    ) -> Result<Option<Channel>, ChannelError> {
        Ok(repo::find_in_org(self.db(), org_id, channel_id)
            .await?
            .map(|row| Channel::from_row(row, None)))
    }

    /// A channel of the organization; [`ChannelError::NotFound`] for another organization's.
    pub async fn get(&self, org_id: &str, channel_id: &str) -> Result<Channel, ChannelError> {
        self.find(org_id, channel_id)
            .await?
            .ok_or(ChannelError::NotFound)
    }

    /// A channel by id whatever its organization (background work), if not deleted.
    pub async fn find_by_id(&self, channel_id: &str) -> Result<Option<Channel>, ChannelError> {
        Ok(repo::find_live(self.db(), channel_id)
            .await?
            .map(|row| Channel::from_row(row, None)))
    }

    /// Switches a channel off (kept, not published to) or back on.
    pub async fn set_disabled(
        &self,
        org_id: &str,
        channel_id: &str,
        disabled: bool,
    ) -> Result<(), ChannelError> {
        if repo::set_disabled(self.db(), org_id, channel_id, disabled).await? {
            Ok(())
        } else {
            Err(ChannelError::NotFound)
        }
    }

    /// Soft-deletes a channel, then tells the registered [`ChannelHooks`](crate::ChannelHooks)
    /// so the posts module can cancel its pending posts. Reconnecting the same account later
    /// revives the row.
    pub async fn delete(&self, org_id: &str, channel_id: &str) -> Result<Channel, ChannelError> {
        let tx = postiz_core::db::begin_write(self.db()).await?;
        let mut row = repo::find_in_org(&tx, org_id, channel_id)
            .await?
            .ok_or(ChannelError::NotFound)?;
        if !repo::soft_delete(&tx, org_id, channel_id).await? {
            return Err(ChannelError::NotFound);
        }
        tx.commit().await?;
        let at = postiz_core::ids::now();
        row.deleted_at = Some(at);
        row.updated_at = at;
        for hook in self.hooks() {
            if let Err(e) = hook.channel_deleted(org_id, channel_id).await {
                tracing::error!(channel = channel_id, error = %format!("{e:#}"), "channel deletion hook failed");
            }
        }
        Ok(Channel::from_row(row, None))
    }

    /// Preferred posting times, minutes after midnight UTC, as the dashboard sends them.
    pub async fn set_posting_times(
        &self,
        org_id: &str,
        channel_id: &str,
        times: &[i32],
    ) -> Result<(), ChannelError> {
        if repo::set_posting_times(self.db(), org_id, channel_id, posting_times_json(times)).await?
        {
            Ok(())
        } else {
            Err(ChannelError::NotFound)
        }
    }

    /// Stores the additional settings the dashboard posts as a JSON string (Postiz
    /// `additionalSettings`); it must hold a JSON array.
    pub async fn set_additional_settings(
        &self,
        org_id: &str,
        channel_id: &str,
        settings_json: &str,
    ) -> Result<(), ChannelError> {
        let value: serde_json::Value = serde_json::from_str(settings_json)
            .map_err(|_| ChannelError::Invalid("additionalSettings must be a JSON array".into()))?;
        if !value.is_array() {
            return Err(ChannelError::Invalid(
                "additionalSettings must be a JSON array".into(),
            ));
        }
        if repo::set_additional_settings(self.db(), org_id, channel_id, value).await? {
            Ok(())
        } else {
            Err(ChannelError::NotFound)
        }
    }

    /// Assigns the channel to one of the organization's customers, or to none.
    pub async fn set_customer(
        &self,
        org_id: &str,
        channel_id: &str,
        customer_id: Option<&str>,
    ) -> Result<Channel, ChannelError> {
        let tx = postiz_core::db::begin_write(self.db()).await?;
        if let Some(customer_id) = customer_id
            && repo::find_customer(&tx, org_id, customer_id)
                .await?
                .is_none()
        {
            return Err(ChannelError::CustomerNotFound);
        }
        if !repo::set_customer(&tx, org_id, channel_id, customer_id).await? {
            return Err(ChannelError::NotFound);
        }
        let row = repo::find_in_org(&tx, org_id, channel_id)
            .await?
            .ok_or(ChannelError::NotFound)?;
        tx.commit().await?;
        Ok(Channel::from_row(row, None))
    }

    /// Assigns the channel to the customer of that name, created if needed; an empty name
    /// removes the customer.
    pub async fn set_customer_by_name(
        &self,
        org_id: &str,
        channel_id: &str,
        name: Option<&str>,
    ) -> Result<Channel, ChannelError> {
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        if name.is_some_and(|n| n.chars().count() > MAX_CUSTOMER_NAME) {
            return Err(ChannelError::Invalid(format!(
                "name must be at most {MAX_CUSTOMER_NAME} characters long"
            )));
        }
        let tx = postiz_core::db::begin_write(self.db()).await?;
        if repo::find_in_org(&tx, org_id, channel_id).await?.is_none() {
            return Err(ChannelError::NotFound);
        }
        let customer_id = match name {
            None => None,
            Some(name) => Some(
                match repo::find_customer_by_name(&tx, org_id, name).await? {
                    Some(c) => c.id,
                    None => repo::insert_customer(&tx, org_id, name).await?.id,
                },
            ),
        };
        repo::set_customer(&tx, org_id, channel_id, customer_id.as_deref()).await?;
        let row = repo::find_in_org(&tx, org_id, channel_id)
            .await?
            .ok_or(ChannelError::NotFound)?;
        tx.commit().await?;
        Ok(Channel::from_row(row, None))
    }

    /// The organization's customers (not deleted).
    pub async fn customers(&self, org_id: &str) -> Result<Vec<customer::Model>, ChannelError> {
        Ok(repo::customers(self.db(), org_id).await?)
    }
}
