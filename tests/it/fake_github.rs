//! A simulated GitHub REST API on loopback (wiremock), speaking the shapes octocrab reads:
//! issue comments (listed with `Link` pagination, created with 201, edited with PATCH),
//! deployments and their statuses, and pull requests. It keeps state, so a second run sees what
//! the first one wrote, and records every request for assertions.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const OWNER_REPO: &str = "octo-org/octo-repo";
pub const PAGE_SIZE: usize = 2;

#[derive(Default)]
pub struct State {
    pub comments: Mutex<Vec<Value>>,
    pub deployments: Mutex<Vec<Value>>,
    /// deployment id → states posted, oldest first.
    pub statuses: Mutex<Vec<(u64, Value)>>,
    pub pulls: Mutex<Vec<Value>>,
    pub next_id: AtomicU64,
    /// Comment writes answer 502 while set.
    pub comments_down: AtomicBool,
}

pub struct FakeGitHub {
    pub server: MockServer,
    pub state: Arc<State>,
}

fn user(login: &str, kind: &str) -> Value {
    let api = "https://api.github.com/users";
    json!({
        "login": login, "id": 41898282, "node_id": "MDM6Qm90NDE4OTgyODI=",
        "avatar_url": "https://avatars.githubusercontent.com/in/15368?v=4", "gravatar_id": "",
        "url": format!("{api}/{login}"), "html_url": format!("https://github.com/{login}"),
        "followers_url": format!("{api}/{login}/followers"),
        "following_url": format!("{api}/{login}/following{{/other_user}}"),
        "gists_url": format!("{api}/{login}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/{login}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/{login}/subscriptions"),
        "organizations_url": format!("{api}/{login}/orgs"),
        "repos_url": format!("{api}/{login}/repos"),
        "events_url": format!("{api}/{login}/events{{/privacy}}"),
        "received_events_url": format!("{api}/{login}/received_events"),
        "type": kind, "site_admin": false
    })
}

/// An issue comment as GitHub returns it.
pub fn comment_json(id: u64, pr: u64, body: &str, login: &str) -> Value {
    let kind = if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    };
    json!({
        "id": id, "node_id": format!("IC_kwDO{id}"),
        "url": format!("https://api.github.com/repos/{OWNER_REPO}/issues/comments/{id}"),
        "html_url": format!("https://github.com/{OWNER_REPO}/pull/{pr}#issuecomment-{id}"),
        "issue_url": format!("https://api.github.com/repos/{OWNER_REPO}/issues/{pr}"),
        "body": body, "user": user(login, kind),
        "created_at": "2026-11-27T07:20:00Z", "updated_at": "2026-11-27T07:20:00Z",
        "author_association": if kind == "Bot" { "NONE" } else { "MEMBER" },
        "performed_via_github_app": null
    })
}

impl FakeGitHub {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(State {
            next_id: AtomicU64::new(1000),
            ..State::default()
        });
        let base = format!("/repos/{OWNER_REPO}");
        for (verb, route) in [
            ("GET", format!(r"^{base}/issues/\d+/comments$")),
            ("POST", format!(r"^{base}/issues/\d+/comments$")),
            ("PATCH", format!(r"^{base}/issues/comments/\d+$")),
            ("POST", format!(r"^{base}/issues/comments/\d+$")),
            ("GET", format!(r"^{base}/deployments$")),
            ("POST", format!(r"^{base}/deployments$")),
            ("GET", format!(r"^{base}/deployments/\d+/statuses$")),
            ("POST", format!(r"^{base}/deployments/\d+/statuses$")),
            ("GET", format!(r"^{base}/pulls/\d+$")),
            ("GET", format!(r"^{base}/pulls$")),
            // As for GITHUB_TOKEN: `GET /user` is refused, GraphQL's viewer is the app's bot.
            ("GET", r"^/user$".to_owned()),
            ("POST", r"^/graphql$".to_owned()),
        ] {
            Mock::given(method(verb))
                .and(path_regex(route))
                .respond_with(Responder {
                    state: Arc::clone(&state),
                    base_url: server.uri(),
                })
                .mount(&server)
                .await;
        }
        Self { server, state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn add_comment(&self, pr: u64, body: &str, login: &str) -> u64 {
        let id = self.state.next_id.fetch_add(1, Ordering::SeqCst);
        self.state
            .comments
            .lock()
            .unwrap()
            .push(comment_json(id, pr, body, login));
        id
    }

    pub fn add_pull(&self, pr: Value) {
        self.state.pulls.lock().unwrap().push(pr);
    }

    pub fn add_deployment(&self, id: u64, payload: Value, state: &str) {
        self.state
            .deployments
            .lock()
            .unwrap()
            .push(deployment_json(id, "abc", payload));
        self.state
            .statuses
            .lock()
            .unwrap()
            .push((id, json!({"id": id * 10, "state": state})));
    }

    pub fn comments(&self) -> Vec<Value> {
        self.state.comments.lock().unwrap().clone()
    }

    pub fn statuses(&self) -> Vec<(u64, Value)> {
        self.state.statuses.lock().unwrap().clone()
    }

    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    /// Every byte GitHub received: method, URL and body of each request.
    pub async fn transcript(&self) -> String {
        self.requests()
            .await
            .into_iter()
            .map(|r| {
                format!(
                    "{} {}\n{}\n",
                    r.method,
                    r.url,
                    String::from_utf8_lossy(&r.body)
                )
            })
            .collect()
    }

    /// Requests that change something (everything but GET).
    pub async fn writes(&self) -> Vec<(String, String)> {
        self.requests()
            .await
            .into_iter()
            // A GraphQL POST is a query (who the token is), not a write.
            .filter(|r| r.method.as_str() != "GET" && r.url.path() != "/graphql")
            .map(|r| (r.method.to_string(), r.url.path().to_owned()))
            .collect()
    }
}

pub fn deployment_json(id: u64, sha: &str, payload: Value) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/{OWNER_REPO}/deployments/{id}"),
        "id": id, "node_id": format!("DE_{id}"), "sha": sha, "ref": sha, "task": "deploy",
        "payload": payload, "original_environment": "wpstage-preview",
        "environment": "wpstage-preview", "description": null,
        "creator": user("github-actions[bot]", "Bot"),
        "created_at": "2026-11-27T07:20:00Z", "updated_at": "2026-11-27T07:20:00Z",
        "statuses_url": format!("https://api.github.com/repos/{OWNER_REPO}/deployments/{id}/statuses"),
        "repository_url": format!("https://api.github.com/repos/{OWNER_REPO}"),
        "transient_environment": true, "production_environment": false
    })
}

struct Responder {
    state: Arc<State>,
    base_url: String,
}

fn number_at(path: &str, index_from_end: usize) -> u64 {
    let parts: Vec<&str> = path.split('/').collect();
    parts[parts.len() - 1 - index_from_end].parse().unwrap()
}

fn query(req: &Request, key: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let p = req.url.path().to_owned();
        let verb = req.method.as_str();
        let s = &self.state;
        if p == "/user" {
            return ResponseTemplate::new(403).set_body_json(json!({
                "message": "Resource not accessible by integration",
                "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user",
                "status": "403"
            }));
        }
        if p == "/graphql" {
            return ResponseTemplate::new(200).set_body_json(json!({
                "data": {"viewer": {"login": "github-actions", "__typename": "Bot"}}
            }));
        }
        if p.ends_with("/comments") && p.contains("/issues/") && !p.contains("/issues/comments") {
            let pr = number_at(&p, 1);
            if verb == "GET" {
                let all: Vec<Value> = s
                    .comments
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|c| {
                        c["issue_url"]
                            .as_str()
                            .unwrap()
                            .ends_with(&format!("/{pr}"))
                    })
                    .cloned()
                    .collect();
                return paginate(req, &self.base_url, &all);
            }
            if s.comments_down.load(Ordering::SeqCst) {
                return server_error();
            }
            let body: Value = req.body_json().unwrap();
            let id = s.next_id.fetch_add(1, Ordering::SeqCst);
            let c = comment_json(
                id,
                pr,
                body["body"].as_str().unwrap(),
                "github-actions[bot]",
            );
            s.comments.lock().unwrap().push(c.clone());
            return ResponseTemplate::new(201).set_body_json(c);
        }
        if p.contains("/issues/comments/") {
            if s.comments_down.load(Ordering::SeqCst) {
                return server_error();
            }
            let id = number_at(&p, 0);
            let body: Value = req.body_json().unwrap();
            let mut comments = s.comments.lock().unwrap();
            return match comments.iter_mut().find(|c| c["id"] == id) {
                Some(c) => {
                    c["body"] = body["body"].clone();
                    c["updated_at"] = json!("2026-11-27T07:30:00Z");
                    ResponseTemplate::new(200).set_body_json(c.clone())
                }
                None => not_found(),
            };
        }
        if p.ends_with("/statuses") {
            let id = number_at(&p, 1);
            if verb == "GET" {
                let mut list: Vec<Value> = s
                    .statuses
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|(d, _)| *d == id)
                    .map(|(_, v)| v.clone())
                    .collect();
                list.reverse(); // newest first, as GitHub lists them
                return ResponseTemplate::new(200).set_body_json(list);
            }
            let mut status: Value = req.body_json().unwrap();
            status["id"] = json!(s.next_id.fetch_add(1, Ordering::SeqCst));
            s.statuses.lock().unwrap().push((id, status.clone()));
            return ResponseTemplate::new(201).set_body_json(status);
        }
        if p.ends_with("/deployments") {
            if verb == "GET" {
                let env = query(req, "environment");
                let all: Vec<Value> = s
                    .deployments
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|d| env.as_deref().is_none_or(|e| d["environment"] == e))
                    .cloned()
                    .collect();
                return paginate(req, &self.base_url, &all);
            }
            let body: Value = req.body_json().unwrap();
            let id = s.next_id.fetch_add(1, Ordering::SeqCst);
            let d = deployment_json(id, body["ref"].as_str().unwrap(), body["payload"].clone());
            s.deployments.lock().unwrap().push(d.clone());
            return ResponseTemplate::new(201).set_body_json(d);
        }
        if p.contains("/pulls") {
            let pulls = s.pulls.lock().unwrap().clone();
            if p.ends_with("/pulls") {
                let open: Vec<Value> = pulls.into_iter().filter(|x| x["state"] == "open").collect();
                return paginate(req, &self.base_url, &open);
            }
            let n = number_at(&p, 0);
            return match pulls.into_iter().find(|x| x["number"] == n) {
                Some(pr) => ResponseTemplate::new(200).set_body_json(pr),
                None => not_found(),
            };
        }
        not_found()
    }
}

/// Pages of [`PAGE_SIZE`] with an absolute `Link: <…>; rel="next"`, whatever `per_page` says.
fn paginate(req: &Request, base_url: &str, all: &[Value]) -> ResponseTemplate {
    let page: usize = query(req, "page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let start = (page - 1) * PAGE_SIZE;
    let items: Vec<Value> = all.iter().skip(start).take(PAGE_SIZE).cloned().collect();
    let mut response = ResponseTemplate::new(200).set_body_json(items);
    if start + PAGE_SIZE < all.len() {
        let mut next = req.url.clone();
        let kept: Vec<(String, String)> = next
            .query_pairs()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        next.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("page", &(page + 1).to_string());
        let link = format!(
            "<{base_url}{}?{}>; rel=\"next\"",
            next.path(),
            next.query().unwrap_or_default()
        );
        response = response.insert_header("link", link.as_str());
    }
    response
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404"
    }))
}

fn server_error() -> ResponseTemplate {
    ResponseTemplate::new(502).set_body_json(json!({"message": "Server Error"}))
}
