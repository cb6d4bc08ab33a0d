//! The access-only copy (`shim/access.sh`) made by each JSON reader a host may have: the same
//! login without its refresh token, an API key as it is, and nothing at all from a file that
//! is not a login (never a whole copy in its place).

use std::process::Command;

const ACCESS: &str = include_str!("../src/shim/access.sh");

fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("crl-access-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn each_reader_makes_the_same_access_only_copy() {
    let dir = scratch();
    let full = r#"{"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{"id_token":"i.j.k","access_token":"a.b.c","refresh_token":"rt-secret","account_id":"acct-1"},"last_refresh":"2026-01-02T03:04:05Z"}"#;
    let key = r#"{"OPENAI_API_KEY":"sk-1"}"#;
    let files = [full, key, "[1]", r#"{"tokens":"x"}"#, r#"{"tokens":{"#];
    for (i, text) in files.iter().enumerate() {
        std::fs::write(dir.join(i.to_string()), text).unwrap();
    }
    for tool in ["py", "node", "perl"] {
        let program = format!(
            "{ACCESS}\njson_tool={tool}\nfor f in 0 1 2 3 4; do rm -f $f.out; access_only $f $f.out || echo refused; [ ! -e $f.out ] || [ $f != 2 ]; done"
        );
        let out = Command::new("sh")
            .arg("-c")
            .arg(&program)
            .current_dir(&dir)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert_eq!(said, "access\napikey\nrefused\nrefused\nrefused\n", "{tool}");
        let copy: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("0.out")).unwrap()).unwrap();
        let mut expected: serde_json::Value = serde_json::from_str(full).unwrap();
        expected["tokens"]["refresh_token"] = "".into();
        assert_eq!(copy, expected, "{tool}");
        assert_eq!(
            std::fs::read_to_string(dir.join("1.out")).unwrap(),
            key,
            "{tool}: an API key as it is"
        );
        for bad in 2..5 {
            assert!(!dir.join(format!("{bad}.out")).exists(), "{tool}: {bad}");
        }
    }
    let program = format!("{ACCESS}\njson_tool=\nrm -f 0.out; access_only 0 0.out || echo refused");
    let out = Command::new("sh")
        .arg("-c")
        .arg(&program)
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "refused\n", "no reader: no copy");
    assert!(!dir.join("0.out").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
