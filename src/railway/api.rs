//! One method per operation. Lists are read across all pages.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::documents::{self as doc, Op};
use super::error::RailwayError;
use super::transport::{Kind, RailwayClient};
use super::types::{
    AllDomains, Connection, Deployment, Environment, Project, ServiceDomain, ServiceInstance,
    TcpProxy, VolumeInstance,
};
use super::variables::VariableSet;

/// More pages than this means the server keeps answering `hasNextPage`: stop rather than loop.
const MAX_PAGES: usize = 1000;

#[derive(Deserialize)]
struct ProjectData {
    project: Project,
}

#[derive(Deserialize)]
struct EnvironmentsData {
    environments: Connection<Environment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateData {
    environment_create: Environment,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteData {
    environment_delete: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServicesEnv {
    service_instances: Connection<ServiceInstance>,
}

#[derive(Deserialize)]
struct ServicesData {
    environment: ServicesEnv,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VolumesEnv {
    volume_instances: Connection<VolumeInstance>,
}

#[derive(Deserialize)]
struct VolumesData {
    environment: VolumesEnv,
}

#[derive(Deserialize)]
struct VariablesData {
    variables: VariableSet,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpsertData {
    variable_collection_upsert: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeployData {
    service_instance_deploy_v2: String,
}

#[derive(Deserialize)]
struct DeploymentData {
    deployment: Deployment,
}

#[derive(Deserialize)]
struct DomainsData {
    domains: AllDomains,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DomainCreateData {
    service_domain_create: ServiceDomain,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TcpProxiesData {
    tcp_proxies: Vec<TcpProxy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PatchData {
    environment_patch_commit: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HealthcheckData {
    service_instance: Healthcheck,
}

/// A service instance's healthcheck: Railway makes a deployment live only once `path` answers
/// 200, waiting up to `timeout_secs` for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Healthcheck {
    #[serde(rename = "healthcheckPath")]
    pub path: Option<String>,
    #[serde(rename = "healthcheckTimeout")]
    pub timeout_secs: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateInstanceData {
    pub service_instance_update: bool,
}

impl RailwayClient {
    /// The project (this also proves the token can reach it).
    pub async fn project(&self, id: &str) -> Result<Project, RailwayError> {
        let d: ProjectData = self
            .post(doc::PROJECT, json!({ "id": id }), Kind::Call)
            .await?;
        Ok(d.project)
    }

    /// Every environment of the project, all pages.
    pub async fn environments(&self, project_id: &str) -> Result<Vec<Environment>, RailwayError> {
        self.all_pages(
            doc::LIST_ENVIRONMENTS,
            json!({ "projectId": project_id }),
            |d: EnvironmentsData| d.environments,
        )
        .await
    }

    /// Duplicates `source_environment_id` into a new ephemeral environment `name`, initial
    /// deploys skipped, and waits until Railway has applied it.
    pub async fn create_environment(
        &self,
        project_id: &str,
        name: &str,
        source_environment_id: &str,
    ) -> Result<Environment, RailwayError> {
        self.duplicate_environment(project_id, name, source_environment_id, true)
            .await
    }

    /// Like [`Self::create_environment`], but the environment is a lasting one (not ephemeral):
    /// the base snapshot's home.
    pub async fn create_lasting_environment(
        &self,
        project_id: &str,
        name: &str,
        source_environment_id: &str,
    ) -> Result<Environment, RailwayError> {
        self.duplicate_environment(project_id, name, source_environment_id, false)
            .await
    }

    async fn duplicate_environment(
        &self,
        project_id: &str,
        name: &str,
        source_environment_id: &str,
        ephemeral: bool,
    ) -> Result<Environment, RailwayError> {
        let input = json!({ "input": {
            "projectId": project_id,
            "name": name,
            "sourceEnvironmentId": source_environment_id,
            "ephemeral": ephemeral,
            "skipInitialDeploys": true,
            "applyChangesInBackground": false,
        }});
        let d: CreateData = self
            .post(doc::CREATE_ENVIRONMENT, input, Kind::Call)
            .await?;
        Ok(d.environment_create)
    }

    /// Deletes an environment. An environment that does not exist is a `NotFound` error.
    pub async fn delete_environment(&self, id: &str) -> Result<bool, RailwayError> {
        let d: DeleteData = self
            .post(doc::DELETE_ENVIRONMENT, json!({ "id": id }), Kind::Call)
            .await?;
        Ok(d.environment_delete)
    }

    /// The environment's service instances (source, latest deployment, domains), all pages.
    pub async fn service_instances(
        &self,
        project_id: &str,
        environment_id: &str,
    ) -> Result<Vec<ServiceInstance>, RailwayError> {
        self.all_pages(
            doc::ENVIRONMENT_SERVICES,
            json!({ "projectId": project_id, "environmentId": environment_id }),
            |d: ServicesData| d.environment.service_instances,
        )
        .await
    }

    /// The environment's volume instances, all pages.
    pub async fn volume_instances(
        &self,
        project_id: &str,
        environment_id: &str,
    ) -> Result<Vec<VolumeInstance>, RailwayError> {
        self.all_pages(
            doc::ENVIRONMENT_VOLUMES,
            json!({ "projectId": project_id, "environmentId": environment_id }),
            |d: VolumesData| d.environment.volume_instances,
        )
        .await
    }

    /// A service's variables, or the environment's shared variables when `service_id` is
    /// `None`. `unrendered` keeps references such as `${{Postgres.DATABASE_URL}}`.
    pub async fn variables(
        &self,
        project_id: &str,
        environment_id: &str,
        service_id: Option<&str>,
        unrendered: bool,
    ) -> Result<VariableSet, RailwayError> {
        let vars = json!({
            "projectId": project_id,
            "environmentId": environment_id,
            "serviceId": service_id,
            "unrendered": unrendered,
        });
        let d: VariablesData = self.post(doc::VARIABLES, vars, Kind::Call).await?;
        Ok(d.variables)
    }

    /// Adds or changes variables (others are kept); `skip_deploys` stops Railway redeploying.
    pub async fn upsert_variables(
        &self,
        project_id: &str,
        environment_id: &str,
        service_id: Option<&str>,
        variables: &VariableSet,
        skip_deploys: bool,
    ) -> Result<(), RailwayError> {
        let input = json!({ "input": {
            "projectId": project_id,
            "environmentId": environment_id,
            "serviceId": service_id,
            "variables": variables,
            "replace": false,
            "skipDeploys": skip_deploys,
        }});
        let d: UpsertData = self.post(doc::UPSERT_VARIABLES, input, Kind::Call).await?;
        accepted(doc::UPSERT_VARIABLES, d.variable_collection_upsert)
    }

    /// Deploys a service instance (at `commit_sha` for repo services); returns the deployment id.
    pub async fn deploy_service(
        &self,
        environment_id: &str,
        service_id: &str,
        commit_sha: Option<&str>,
    ) -> Result<String, RailwayError> {
        let vars = json!({
            "environmentId": environment_id,
            "serviceId": service_id,
            "commitSha": commit_sha,
        });
        let d: DeployData = self
            .post(doc::DEPLOY_SERVICE_INSTANCE, vars, Kind::Call)
            .await?;
        Ok(d.service_instance_deploy_v2)
    }

    /// The healthcheck of `service_id` in `environment_id`.
    pub async fn healthcheck(
        &self,
        environment_id: &str,
        service_id: &str,
    ) -> Result<Healthcheck, RailwayError> {
        let vars = json!({ "environmentId": environment_id, "serviceId": service_id });
        let d: HealthcheckData = self
            .post(doc::SERVICE_INSTANCE_HEALTHCHECK, vars, Kind::Call)
            .await?;
        Ok(d.service_instance)
    }

    /// Sets the healthcheck of `service_id` in `environment_id` only (a fork: Railway then leaves
    /// every other environment's instance alone).
    pub async fn set_healthcheck(
        &self,
        environment_id: &str,
        service_id: &str,
        path: &str,
        timeout_secs: i64,
    ) -> Result<(), RailwayError> {
        let vars = json!({
            "environmentId": environment_id,
            "serviceId": service_id,
            "input": { "healthcheckPath": path, "healthcheckTimeout": timeout_secs },
        });
        let d: UpdateInstanceData = self
            .post(doc::UPDATE_SERVICE_INSTANCE, vars, Kind::Call)
            .await?;
        accepted(doc::UPDATE_SERVICE_INSTANCE, d.service_instance_update)
    }

    /// A deployment's current status (counted as a poll).
    pub async fn deployment(&self, id: &str) -> Result<Deployment, RailwayError> {
        let d: DeploymentData = self
            .post(doc::DEPLOYMENT, json!({ "id": id }), Kind::Poll)
            .await?;
        Ok(d.deployment)
    }

    pub async fn domains(
        &self,
        project_id: &str,
        environment_id: &str,
        service_id: &str,
    ) -> Result<AllDomains, RailwayError> {
        let vars = json!({
            "projectId": project_id,
            "environmentId": environment_id,
            "serviceId": service_id,
        });
        let d: DomainsData = self.post(doc::SERVICE_DOMAINS, vars, Kind::Call).await?;
        Ok(d.domains)
    }

    /// Creates a Railway-provided domain (`*.up.railway.app`) for the service.
    pub async fn create_service_domain(
        &self,
        environment_id: &str,
        service_id: &str,
        target_port: Option<u16>,
    ) -> Result<ServiceDomain, RailwayError> {
        let vars = json!({
            "environmentId": environment_id,
            "serviceId": service_id,
            "targetPort": target_port,
        });
        let d: DomainCreateData = self
            .post(doc::CREATE_SERVICE_DOMAIN, vars, Kind::Call)
            .await?;
        Ok(d.service_domain_create)
    }

    /// The service's TCP proxies, deleted ones included (see [`TcpProxy::is_live`]).
    pub async fn tcp_proxies(
        &self,
        environment_id: &str,
        service_id: &str,
        poll: bool,
    ) -> Result<Vec<TcpProxy>, RailwayError> {
        let vars = json!({ "environmentId": environment_id, "serviceId": service_id });
        let kind = if poll { Kind::Poll } else { Kind::Call };
        let d: TcpProxiesData = self.post(doc::TCP_PROXIES, vars, kind).await?;
        Ok(d.tcp_proxies)
    }

    /// Asks for a TCP proxy to `application_port` of the service, the way Railway's CLI does: an
    /// environment patch keyed by port, committed at once.
    pub async fn request_tcp_proxy(
        &self,
        environment_id: &str,
        service_id: &str,
        application_port: u16,
    ) -> Result<String, RailwayError> {
        let patch = json!({ "services": { service_id: {
            "networking": { "tcpProxies": { application_port.to_string(): {} } }
        }}});
        self.patch_environment(environment_id, patch, "wpstage: TCP proxy for the database")
            .await
    }

    /// Applies a sparse `EnvironmentConfig` patch now (`environmentPatchCommit`).
    pub async fn patch_environment(
        &self,
        environment_id: &str,
        patch: Value,
        message: &str,
    ) -> Result<String, RailwayError> {
        let vars = json!({
            "environmentId": environment_id,
            "patch": patch,
            "commitMessage": message,
        });
        let d: PatchData = self.post(doc::PATCH_ENVIRONMENT, vars, Kind::Call).await?;
        Ok(d.environment_patch_commit)
    }

    async fn all_pages<T, D: DeserializeOwned>(
        &self,
        op: Op,
        base: Value,
        page: impl Fn(D) -> Connection<T>,
    ) -> Result<Vec<T>, RailwayError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut vars = base.clone();
            if let Value::Object(map) = &mut vars {
                map.insert("after".to_owned(), json!(after));
            }
            let conn = page(self.post(op, vars, Kind::Call).await?);
            out.extend(conn.edges.into_iter().map(|e| e.node));
            match conn.page_info.end_cursor {
                Some(cursor) if conn.page_info.has_next_page => {
                    if after.as_deref() == Some(cursor.as_str()) {
                        return Err(stuck(op));
                    }
                    after = Some(cursor);
                }
                None if conn.page_info.has_next_page => return Err(stuck(op)),
                _ => return Ok(out),
            }
        }
        Err(stuck(op))
    }
}

fn stuck(op: Op) -> RailwayError {
    RailwayError::Decode {
        operation: op.name,
        detail: "pagination does not advance (hasNextPage without a new endCursor)".to_owned(),
    }
}

pub(super) fn accepted(op: Op, ok: bool) -> Result<(), RailwayError> {
    if ok {
        Ok(())
    } else {
        Err(RailwayError::Rejected {
            operation: op.name,
            message: "Railway answered false".to_owned(),
        })
    }
}
