//! sea-orm queries of the module. Every function takes `&impl ConnectionTrait` so services
//! compose them inside transactions.

pub mod notifications;
pub mod webhooks;
