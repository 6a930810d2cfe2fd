//! The `postiz` application: wires the modules, the providers and the runtime parts together.

pub mod adapters;
pub mod cli;
pub mod jwt_secret;
pub mod registry;
pub mod request_id;
pub mod routes;
pub mod startup;

pub use startup::{AppState, Application};
