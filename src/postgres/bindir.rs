//! Where PostgreSQL's programs are installed: the one lookup behind the throwaway clusters
//! (`initdb`, `postgres`) and the `pg_dump` tool.

use std::path::PathBuf;
use std::process::Command;

/// Directories that may hold PostgreSQL programs, most likely first: `pg_config --bindir`, the
/// Debian/Ubuntu per-version directories newest first, then `PATH`. Each directory once.
///
/// Blocking (it runs `pg_config`): async callers run it on a blocking thread.
pub fn candidates() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !dir.is_empty() {
            dirs.push(PathBuf::from(dir));
        }
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<(u32, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
                Some((v, e.path().join("bin")))
            })
            .collect();
        versions.sort_by_key(|(v, _)| std::cmp::Reverse(*v));
        dirs.extend(versions.into_iter().map(|(_, p)| p));
    }
    if let Some(path_var) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path_var));
    }
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
    dirs
}

/// The places looked at, for an error message that says where a program was not found.
pub fn looked_at(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_come_once_each_and_include_path() {
        let dirs = candidates();
        let unique: std::collections::HashSet<_> = dirs.iter().collect();
        assert_eq!(unique.len(), dirs.len(), "{dirs:?}");
        if let Some(path_var) = std::env::var_os("PATH")
            && let Some(first) = std::env::split_paths(&path_var).next()
        {
            assert!(dirs.contains(&first), "{first:?} missing from {dirs:?}");
        }
    }
}
