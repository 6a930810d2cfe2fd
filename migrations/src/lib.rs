//! Database migrations, one file per migration, applied in order by `postiz migrate` and at
//! start. They run on SQLite and PostgreSQL alike.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_users;
mod m20261122_000002_create_organizations;
mod m20261122_000003_create_memberships;
mod m20261122_000004_create_invitations;
mod m20261122_000005_create_customers;
mod m20261122_000006_create_integrations;
mod m20261122_000010_create_media;
mod m20261122_000020_create_job_leases;
mod m20261122_000030_create_posts;
mod m20261122_000031_create_tags;
mod m20261122_000032_create_sets_and_signatures;
mod m20261122_000033_create_post_comments;
mod m20261122_000040_create_notifications;
mod m20261122_000041_create_webhooks;
mod m20261122_000050_index_repeating_posts;
mod m20261122_000051_index_post_threads;
mod m20261207_000060_calendar_changes;
mod m20261207_000061_index_posts_publish_date;
mod m20261207_000062_calendar_bump_in_plpgsql;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_users::Migration),
            Box::new(m20261122_000002_create_organizations::Migration),
            Box::new(m20261122_000003_create_memberships::Migration),
            Box::new(m20261122_000004_create_invitations::Migration),
            Box::new(m20261122_000005_create_customers::Migration),
            Box::new(m20261122_000006_create_integrations::Migration),
            Box::new(m20261122_000010_create_media::Migration),
            Box::new(m20261122_000020_create_job_leases::Migration),
            Box::new(m20261122_000030_create_posts::Migration),
            Box::new(m20261122_000031_create_tags::Migration),
            Box::new(m20261122_000032_create_sets_and_signatures::Migration),
            Box::new(m20261122_000033_create_post_comments::Migration),
            Box::new(m20261122_000040_create_notifications::Migration),
            Box::new(m20261122_000041_create_webhooks::Migration),
            Box::new(m20261122_000050_index_repeating_posts::Migration),
            Box::new(m20261122_000051_index_post_threads::Migration),
            Box::new(m20261207_000060_calendar_changes::Migration),
            Box::new(m20261207_000061_index_posts_publish_date::Migration),
            Box::new(m20261207_000062_calendar_bump_in_plpgsql::Migration),
        ]
    }
}
