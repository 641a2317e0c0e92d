//! Typed answers of the operations wpstage uses (only the fields it selects).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: String,
    pub name: String,
    pub workspace_id: Option<String>,
    pub base_environment_id: Option<String>,
    /// Railway's own PR environments are on: each PR would get two environments.
    pub pr_deploys: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectTokenInfo {
    pub project_id: String,
    pub environment_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EnvironmentRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    pub id: String,
    pub name: String,
    pub is_ephemeral: bool,
    /// RFC 3339.
    pub created_at: Option<String>,
    pub source_environment: Option<EnvironmentRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServiceSource {
    pub image: Option<String>,
    pub repo: Option<String>,
}

/// A deployment's status. Statuses this version does not know decode as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentStatus {
    Initializing,
    Queued,
    Waiting,
    NeedsApproval,
    Building,
    Deploying,
    Success,
    Failed,
    Crashed,
    Skipped,
    Sleeping,
    Removing,
    Removed,
    #[serde(other)]
    Unknown,
}

impl DeploymentStatus {
    /// Running (or asleep, which Railway wakes on demand).
    pub fn is_ok(self) -> bool {
        matches!(self, Self::Success | Self::Sleeping)
    }

    /// Final and not running.
    pub fn is_failed(self) -> bool {
        matches!(
            self,
            Self::Failed | Self::Crashed | Self::Skipped | Self::Removing | Self::Removed
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initializing => "INITIALIZING",
            Self::Queued => "QUEUED",
            Self::Waiting => "WAITING",
            Self::NeedsApproval => "NEEDS_APPROVAL",
            Self::Building => "BUILDING",
            Self::Deploying => "DEPLOYING",
            Self::Success => "SUCCESS",
            Self::Failed => "FAILED",
            Self::Crashed => "CRASHED",
            Self::Skipped => "SKIPPED",
            Self::Sleeping => "SLEEPING",
            Self::Removing => "REMOVING",
            Self::Removed => "REMOVED",
            Self::Unknown => "UNKNOWN",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: String,
    pub status: DeploymentStatus,
    pub status_updated_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDomain {
    pub id: String,
    pub domain: String,
    pub target_port: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CustomDomain {
    pub id: String,
    pub domain: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllDomains {
    pub service_domains: Vec<ServiceDomain>,
    pub custom_domains: Vec<CustomDomain>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceInstance {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub source: Option<ServiceSource>,
    pub latest_deployment: Option<Deployment>,
    pub domains: AllDomains,
}

impl ServiceInstance {
    pub fn image(&self) -> Option<&str> {
        self.source.as_ref().and_then(|s| s.image.as_deref())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Volume {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeInstance {
    pub id: String,
    pub service_id: Option<String>,
    pub mount_path: String,
    pub volume: Volume,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TcpProxy {
    pub id: String,
    pub domain: String,
    pub proxy_port: i64,
    pub application_port: i64,
    pub sync_status: String,
    pub deleted_at: Option<String>,
}

impl TcpProxy {
    /// Not being deleted.
    pub fn is_live(&self) -> bool {
        self.deleted_at.is_none() && !matches!(self.sync_status.as_str(), "DELETED" | "DELETING")
    }
}

/// A Relay connection page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Connection<T> {
    pub edges: Vec<Edge<T>>,
    pub page_info: PageInfo,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Edge<T> {
    pub node: T,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}
