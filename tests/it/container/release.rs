//! The prebuilt image a release ships: action.yml names it by the crate's version, so a tag
//! `vX.Y.Z` (whose release workflow pushes `ghcr.io/<owner>/wpstage:X.Y.Z`) runs that image.

use super::runner::Action;

/// action.yml's image without the `docker://` prefix.
pub fn action_image() -> String {
    let image = Action::load().image;
    image
        .strip_prefix("docker://")
        .unwrap_or_else(|| panic!("runs.image must be a prebuilt docker:// image, not {image}"))
        .to_owned()
}

#[test]
fn action_yml_runs_the_prebuilt_image_of_the_crate_version() {
    let image = action_image();
    let (repository, tag) = image.rsplit_once(':').expect("an image tag");
    assert_eq!(
        tag,
        env!("CARGO_PKG_VERSION"),
        "action.yml's image tag must be Cargo.toml's version (release.yml checks the same)"
    );
    let parts: Vec<&str> = repository.split('/').collect();
    assert!(
        parts.len() == 3 && parts[0] == "ghcr.io" && parts[2] == "wpstage",
        "{repository}: expected ghcr.io/<owner>/wpstage"
    );
    let action = Action::load();
    assert!(
        action.entrypoint.is_none() && action.args.is_empty(),
        "the image's ENTRYPOINT (`wpstage action`) is the action's command"
    );
}

#[test]
fn the_dockerfile_entrypoint_is_the_action_and_there_is_no_user() {
    let dockerfile = super::repo_file("Dockerfile");
    let last_stage = dockerfile.rsplit("\nFROM ").next().unwrap();
    assert!(
        last_stage.contains(r#"ENTRYPOINT ["/usr/local/bin/wpstage", "action"]"#),
        "{last_stage}"
    );
    assert!(
        !dockerfile.lines().any(|l| l.starts_with("USER ")),
        "GitHub runs container actions as root; a USER breaks writing the workspace"
    );
}
