//! Railway's public GraphQL API: one document per operation (`graphql/*.graphql`), one typed
//! method per operation on [`RailwayClient`], one retrying `post` underneath.
//!
//! Authenticate with an account or workspace token (`Authorization: Bearer`). A project token is
//! recognised and refused with [`RailwayError::ProjectToken`]: it cannot create environments.

mod api;
mod budget;
mod documents;
mod error;
mod redact;
mod services_api;
mod transport;
mod types;
mod variables;

pub use budget::RateBudget;
pub use documents::DOCUMENTS;
pub use error::{RailwayError, TOKEN_HELP};
pub use services_api::{CopyService, LogLine, OneOffService};
pub use transport::{DEFAULT_ENDPOINT, RailwayClient, RequestCount, RetryPolicy};
pub use types::{
    AllDomains, CustomDomain, Deployment, DeploymentStatus, Environment, EnvironmentRef, Project,
    ProjectTokenInfo, ServiceDomain, ServiceInstance, ServiceSource, TcpProxy, Volume,
    VolumeInstance,
};
pub use variables::VariableSet;

/// Re-exported so callers can build an endpoint without depending on `reqwest` themselves.
pub use reqwest::Url;
