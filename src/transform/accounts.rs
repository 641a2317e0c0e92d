//! WordPress accounts in the row transform: what a kept account keeps, and the one fake person
//! a pseudonymized account's names come from.

use super::anonymize::kinds::Kind;
use super::anonymize::{is_account_name, is_kept_users_contact};
use super::set::TableTransformer;

impl TableTransformer {
    /// Kept users keep their account (login, email, names, role): of the rules of one of their
    /// rows, only deletions (sessions, application passwords), the staging password and, unless
    /// `--keep-user-data`, their contact data (phone, address, billing meta) stay. `meta_key` is
    /// the row's usermeta key.
    pub(crate) fn keep_account(&self, todo: &mut Vec<(usize, Kind, bool)>, meta_key: Option<&str>) {
        let contact = |k: &Kind| !self.ctx.keep_user_data && is_kept_users_contact(meta_key, k);
        todo.retain(|(_, k, _)| matches!(k, Kind::DeleteRow | Kind::PasswordHash) || contact(k));
    }

    /// The fake name column `i` of user `user_id`'s row gets when it names the account
    /// (`display_name`; usermeta `first_name`, `last_name`, `nickname`): one fake person per
    /// user, so the names agree. `None` for other values, and for empty ones (they stay empty).
    pub(crate) fn account_name(
        &self,
        i: usize,
        meta_key: Option<&str>,
        kind: &Kind,
        user_id: i64,
        original: Option<&str>,
    ) -> Option<String> {
        let field = match &self.plan.eav {
            Some(e) if e.value_idx == i => meta_key,
            _ => Some(self.plan.columns[i].name.as_str()),
        };
        if !field.is_some_and(is_account_name) || original.is_none_or(|o| o.trim().is_empty()) {
            return None;
        }
        self.ctx.pseudo.person_name(kind, user_id)
    }
}
