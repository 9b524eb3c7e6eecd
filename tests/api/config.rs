//! The `chorus` binary's start-up: bad configuration stops it with one line naming the key.

use std::process::Command;

fn chorus(envs: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chorus"));
    cmd.arg("serve").current_dir(dir.path()).env_remove("CHORUS_CONFIG");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("chorus runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn bad_config_values_stop_start_up_naming_the_key() {
    let cases = [
        (vec![("CHORUS__HTTP__BIND", "not-an-address")], "http.bind"),
        (vec![("CHORUS__DATABASE__URL", "mysql://db/x")], "database.url"),
        (vec![("CHORUS__DATABASE__POOL_SIZE", "lots")], "database.pool_size"),
        (vec![("CHORUS_CONFIG", "/nonexistent/chorus.toml")], "CHORUS_CONFIG"),
    ];
    for (envs, key) in cases {
        let (code, stderr) = chorus(&envs);
        assert_eq!(code, 1, "{key}: {stderr}");
        let line = stderr.lines().find(|l| l.starts_with("chorus: config error")).unwrap_or_default();
        assert!(line.contains(key), "expected one line naming {key}, got: {stderr}");
    }
}

#[test]
fn a_config_file_overrides_defaults_and_env_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chorus.toml");
    std::fs::write(&file, "[http]\nbind = \"bad address from file\"\n").unwrap();
    let (code, stderr) = chorus(&[("CHORUS_CONFIG", file.to_str().unwrap())]);
    assert_eq!(code, 1);
    assert!(stderr.contains("bad address from file"), "{stderr}");
    // The environment wins over the file: this one fails on the database instead.
    let (code, stderr) = chorus(&[
        ("CHORUS_CONFIG", file.to_str().unwrap()),
        ("CHORUS__HTTP__BIND", "127.0.0.1:0"),
        ("CHORUS__DATABASE__URL", "oracle://x"),
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("database.url"), "{stderr}");
}
