//! The GraphQL documents wpstage sends, one operation per file under `graphql/`. Each is
//! validated against Railway's schema by the test suite (see `DOCUMENTS`).

/// One GraphQL operation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Op {
    /// The operation name, sent as `operationName`.
    pub name: &'static str,
    pub text: &'static str,
    /// Whether resending after an ambiguous failure (5xx, timeout) is harmless. Operations that
    /// are not are retried only when the request certainly did not reach Railway.
    pub retry_safe: bool,
}

macro_rules! ops {
    ($($konst:ident = $name:literal, $retry_safe:literal;)*) => {
        $(
            pub(crate) const $konst: Op = Op {
                name: $name,
                text: include_str!(concat!("graphql/", $name, ".graphql")),
                retry_safe: $retry_safe,
            };
        )*

        /// Every document as `(operation name, text)`, for validation against the schema.
        pub const DOCUMENTS: &[(&str, &str)] = &[$(($konst.name, $konst.text)),*];
    };
}

ops! {
    PROJECT = "Project", true;
    PROJECT_TOKEN = "ProjectToken", true;
    LIST_ENVIRONMENTS = "ListEnvironments", true;
    CREATE_ENVIRONMENT = "CreateEnvironment", false;
    DELETE_ENVIRONMENT = "DeleteEnvironment", true;
    ENVIRONMENT_SERVICES = "EnvironmentServices", true;
    ENVIRONMENT_VOLUMES = "EnvironmentVolumes", true;
    VARIABLES = "Variables", true;
    UPSERT_VARIABLES = "UpsertVariables", true;
    DEPLOY_SERVICE_INSTANCE = "DeployServiceInstance", false;
    DEPLOYMENT = "Deployment", true;
    SERVICE_DOMAINS = "ServiceDomains", true;
    CREATE_SERVICE_DOMAIN = "CreateServiceDomain", false;
    TCP_PROXIES = "TcpProxies", true;
    PATCH_ENVIRONMENT = "PatchEnvironment", true;
    SERVICE_INSTANCE_HEALTHCHECK = "ServiceInstanceHealthcheck", true;
    UPDATE_SERVICE_INSTANCE = "UpdateServiceInstance", true;
    SERVICE_CREATE = "ServiceCreate", false;
    SERVICE_DELETE = "ServiceDelete", true;
    DEPLOYMENT_LOGS = "DeploymentLogs", true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_declares_the_operation_it_is_named_after() {
        for (name, text) in DOCUMENTS {
            let query = format!("query {name}");
            let mutation = format!("mutation {name}");
            assert!(
                text.starts_with(&query) || text.starts_with(&mutation),
                "{name}: the file must hold exactly the operation {name}"
            );
            assert_eq!(
                text.matches("query ").count() + text.matches("mutation ").count(),
                1,
                "{name}: one operation per file"
            );
        }
    }
}
