//! The sticky PR comment: one per PR and wpstage instance, found by the hidden marker it starts
//! with (`<!-- wpstage:<key> -->`), searched across every page of the PR's comments, created
//! once and then edited in place; an unchanged body is not written again.

use octocrab::Page;
use serde::Deserialize;

use super::{GitHub, GitHubError};

/// The comment as wpstage needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct StickyComment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub user: Option<Author>,
}

/// Who wrote a comment.
#[derive(Debug, Clone, Deserialize)]
pub struct Author {
    pub login: String,
}

/// What [`GitHub::upsert_comment`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Updated,
    Unchanged,
    /// No comment existed and none was wanted (`create: false`).
    Absent,
}

impl Written {
    pub fn as_str(self) -> &'static str {
        match self {
            Written::Created => "created",
            Written::Updated => "updated",
            Written::Unchanged => "unchanged",
            Written::Absent => "absent",
        }
    }
}

/// The hidden marker for an instance key.
pub fn marker(key: &str) -> String {
    format!("<!-- wpstage:{key} -->")
}

impl GitHub {
    /// The first comment of `pr` whose body starts with `marker` and whose author is the
    /// token's own identity (anyone can paste a marker), scanning all pages (oldest first) and
    /// stopping at the first match. When the identity cannot be read, the marker alone decides.
    pub async fn find_comment(
        &self,
        pr: u64,
        marker: &str,
    ) -> Result<Option<StickyComment>, GitHubError> {
        const ACTION: &str = "listing the PR's comments";
        let me = self.own_login().await;
        let ours = |c: &StickyComment| {
            c.body.as_deref().is_some_and(|b| b.starts_with(marker))
                && me.as_deref().is_none_or(|me| {
                    c.user
                        .as_ref()
                        .is_some_and(|u| u.login.eq_ignore_ascii_case(me))
                })
        };
        let mut page: Page<StickyComment> = self
            .crab
            .get(
                self.route(&format!("issues/{pr}/comments")),
                Some(&[("per_page", "100")]),
            )
            .await
            .map_err(|e| GitHubError::from_octocrab(ACTION, e))?;
        loop {
            if let Some(found) = page.items.iter().find(|c| ours(c)) {
                return Ok(Some(found.clone()));
            }
            match self
                .crab
                .get_page::<StickyComment>(&page.next)
                .await
                .map_err(|e| GitHubError::from_octocrab(ACTION, e))?
            {
                Some(next) => page = next,
                None => return Ok(None),
            }
        }
    }

    /// Makes the PR's sticky comment read `body` (which should start with `marker`): edits
    /// `existing` (as found by [`GitHub::find_comment`]), creates the comment when there is none
    /// and `create` is set, and writes nothing when the body is unchanged.
    pub async fn write_comment(
        &self,
        pr: u64,
        marker: &str,
        existing: Option<&StickyComment>,
        body: &str,
        create: bool,
    ) -> Result<(Option<StickyComment>, Written), GitHubError> {
        let body = if body.starts_with(marker) {
            body.to_owned()
        } else {
            format!("{marker}\n{body}")
        };
        match existing {
            Some(old) if old.body.as_deref().map(str::trim_end) == Some(body.trim_end()) => {
                Ok((Some(old.clone()), Written::Unchanged))
            }
            Some(old) => {
                // PATCH is the documented verb (octocrab's `update_comment` sends POST).
                let updated: StickyComment = self
                    .crab
                    .patch(
                        self.route(&format!("issues/comments/{}", old.id)),
                        Some(&serde_json::json!({ "body": body })),
                    )
                    .await
                    .map_err(|e| GitHubError::from_octocrab("editing the PR comment", e))?;
                Ok((Some(updated), Written::Updated))
            }
            None if create => {
                let created: StickyComment = self
                    .crab
                    .post(
                        self.route(&format!("issues/{pr}/comments")),
                        Some(&serde_json::json!({ "body": body })),
                    )
                    .await
                    .map_err(|e| GitHubError::from_octocrab("creating the PR comment", e))?;
                Ok((Some(created), Written::Created))
            }
            None => Ok((None, Written::Absent)),
        }
    }

    /// [`GitHub::find_comment`] then [`GitHub::write_comment`].
    pub async fn upsert_comment(
        &self,
        pr: u64,
        marker: &str,
        body: &str,
        create: bool,
    ) -> Result<(Option<StickyComment>, Written), GitHubError> {
        let existing = self.find_comment(pr, marker).await?;
        self.write_comment(pr, marker, existing.as_ref(), body, create)
            .await
    }
}
