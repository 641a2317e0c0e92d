//! One-off services: created in an environment from an image, run once, followed through their
//! deployment's logs and deleted again (the data copy that runs inside a PR environment).

use serde::Deserialize;
use serde_json::json;

use super::api::{UpdateInstanceData, accepted};
use super::documents as doc;
use super::error::RailwayError;
use super::transport::{Kind, RailwayClient};

/// A service wpstage created for one job.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CopyService {
    pub id: String,
    pub name: String,
}

/// What a one-off service runs: its image, start command and restart policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOffService<'a> {
    pub image: &'a str,
    pub start_command: &'a str,
}

/// One line of a deployment's log.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogLine {
    pub timestamp: String,
    pub message: String,
    pub severity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateData {
    service_create: CopyService,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteData {
    service_delete: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogsData {
    deployment_logs: Vec<LogLine>,
}

/// Most log lines one request returns (Railway's maximum).
const LOG_LIMIT: i64 = 5000;

impl RailwayClient {
    /// Creates an empty service `name` in environment `environment_id` only (a fork: Railway
    /// creates it nowhere else). Without a source nothing deploys yet.
    pub async fn create_service(
        &self,
        project_id: &str,
        environment_id: &str,
        name: &str,
    ) -> Result<CopyService, RailwayError> {
        let input = json!({ "input": {
            "projectId": project_id,
            "environmentId": environment_id,
            "name": name,
        }});
        let d: CreateData = self.post(doc::SERVICE_CREATE, input, Kind::Call).await?;
        Ok(d.service_create)
    }

    /// Points service `service_id` in `environment_id` at `run.image` with its start command,
    /// never restarted once it has exited (a job, not a server).
    pub async fn set_one_off_source(
        &self,
        environment_id: &str,
        service_id: &str,
        run: &OneOffService<'_>,
    ) -> Result<(), RailwayError> {
        let vars = json!({
            "environmentId": environment_id,
            "serviceId": service_id,
            "input": {
                "source": { "image": run.image },
                "startCommand": run.start_command,
                "restartPolicyType": "NEVER",
            },
        });
        let d: UpdateInstanceData = self
            .post(doc::UPDATE_SERVICE_INSTANCE, vars, Kind::Call)
            .await?;
        accepted(doc::UPDATE_SERVICE_INSTANCE, d.service_instance_update)
    }

    /// Deletes service `service_id` from `environment_id` (a fork: from it only). `Ok(false)`:
    /// Railway answered false.
    pub async fn delete_service(
        &self,
        environment_id: &str,
        service_id: &str,
    ) -> Result<bool, RailwayError> {
        let vars = json!({ "id": service_id, "environmentId": environment_id });
        let d: DeleteData = self.post(doc::SERVICE_DELETE, vars, Kind::Call).await?;
        Ok(d.service_delete)
    }

    /// The log of deployment `id` so far, oldest first (counted as a poll).
    pub async fn deployment_logs(&self, id: &str) -> Result<Vec<LogLine>, RailwayError> {
        let vars = json!({ "deploymentId": id, "limit": LOG_LIMIT });
        let d: LogsData = self.post(doc::DEPLOYMENT_LOGS, vars, Kind::Poll).await?;
        Ok(d.deployment_logs)
    }
}
