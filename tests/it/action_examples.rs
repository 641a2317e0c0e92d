//! The example workflows behave as documented.

#[test]
fn only_a_push_cancels_a_preview_run_in_progress() {
    let yml = include_str!("../../examples/preview.yml");
    let cancel = yml
        .lines()
        .find_map(|l| l.trim().strip_prefix("cancel-in-progress:"))
        .expect("preview.yml sets cancel-in-progress")
        .trim();
    // `labeled` (and `reopened`) runs must queue behind an `opened` run, not cancel it.
    assert_eq!(cancel, "${{ github.event.action == 'synchronize' }}");
}
