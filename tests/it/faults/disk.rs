//! A full target volume: a 40 MB tmpfs mounted as a tablespace of the fault cluster (needs root,
//! as CI runs). It must hold the target and the helper database the copy is built in: a
//! smaller one breaks the cluster's checkpoints for every later case.

use super::harness::admin;

pub struct SmallVolume {
    pub tablespace: String,
    mount: tempfile::TempDir,
}

impl SmallVolume {
    /// `name`: the tablespace's name, unique per case.
    pub async fn mount(name: &str) -> SmallVolume {
        assert!(
            nix::unistd::geteuid().is_root(),
            "the disk-full cases mount a tmpfs and must run as root (as CI does)"
        );
        let mount = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=40M", "tmpfs"])
            .arg(mount.path())
            .status()
            .unwrap();
        assert!(status.success(), "mount tmpfs failed");
        let space = mount.path().join("ts");
        std::fs::create_dir(&space).unwrap();
        let owner = nix::unistd::User::from_name("postgres")
            .unwrap()
            .expect("postgres OS user");
        nix::unistd::chown(&space, Some(owner.uid), Some(owner.gid)).unwrap();
        let tablespace = format!("small_{name}");
        admin()
            .await
            .batch_execute(&format!(
                "CREATE TABLESPACE {tablespace} LOCATION '{}'",
                space.display()
            ))
            .await
            .unwrap();
        SmallVolume { tablespace, mount }
    }

    /// Drops the tablespace (its databases must be gone) and unmounts the volume.
    pub async fn release(self) {
        admin()
            .await
            .batch_execute(&format!("DROP TABLESPACE {}", self.tablespace))
            .await
            .unwrap();
        let status = std::process::Command::new("umount")
            .arg(self.mount.path())
            .status()
            .unwrap();
        assert!(status.success(), "umount failed");
    }
}
