//! Reading AOF directories in tests (tests/aof.rs, and the corpus replay of
//! tests/differential.rs, which compares the AOF each server wrote).

use std::path::{Path, PathBuf};

/// A directory of its own per test, removed when the test ends.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("rredis-aof-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn str(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }

    /// The AOF directory inside (the default `appenddirname`).
    pub fn aof_dir(&self) -> PathBuf {
        self.0.join("appendonlydir")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The manifest's lines of `aof_dir`, as (file, type) pairs.
pub fn manifest(aof_dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(aof_dir.join("appendonly.aof.manifest")).expect("manifest");
    text.lines()
        .map(|line| {
            let words: Vec<&str> = line.split(' ').collect();
            assert_eq!(words.len(), 6, "manifest line {line:?}");
            (words[1].to_string(), words[5].to_string())
        })
        .collect()
}

/// The commands of the current incr file of `aof_dir`.
pub fn incr_commands(aof_dir: &Path) -> Vec<Vec<Vec<u8>>> {
    let (incr, _) = manifest(aof_dir)
        .into_iter()
        .rev()
        .find(|(_, t)| t == "i")
        .expect("an incr file");
    parse_aof(&std::fs::read(aof_dir.join(incr)).expect("incr file"))
}

/// Splits RESP commands (an AOF's content) into their arguments.
pub fn parse_aof(data: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut pos = 0;
    let line = |pos: &mut usize| -> Vec<u8> {
        let rest = &data[*pos..];
        let end = rest.windows(2).position(|w| w == b"\r\n").expect("CRLF");
        *pos += end + 2;
        rest[..end].to_vec()
    };
    while pos < data.len() {
        let head = line(&mut pos);
        assert_eq!(head[0], b'*', "a command starts with *");
        let argc: usize = String::from_utf8_lossy(&head[1..]).parse().expect("argc");
        let mut argv = Vec::new();
        for _ in 0..argc {
            let len = line(&mut pos);
            let len: usize = String::from_utf8_lossy(&len[1..]).parse().expect("$len");
            argv.push(data[pos..pos + len].to_vec());
            pos += len + 2;
        }
        out.push(argv);
    }
    out
}

/// Readable text of one command, with what differs between two runs by nature replaced:
/// absolute deadlines (whose value depends on the clock) and the members a random pop
/// picked (any three-argument SREM).
pub fn normalise(argv: &[Vec<u8>]) -> String {
    let name = argv[0].to_ascii_uppercase();
    let mut words = Vec::new();
    for (i, arg) in argv.iter().enumerate() {
        let after_pxat = i > 0 && argv[i - 1].eq_ignore_ascii_case(b"pxat");
        let deadline = name == b"PEXPIREAT" && i == 2;
        let is_time = arg.len() >= 12 && arg.iter().all(u8::is_ascii_digit);
        let random_member = name == b"SREM" && argv.len() == 3 && i == 2;
        if ((after_pxat || deadline) && is_time) || random_member {
            words.push("<varies>".to_string());
        } else {
            words.push(arg.escape_ascii().to_string());
        }
    }
    words.join(" ")
}

/// The normalised commands of `aof_dir`'s current incr file.
pub fn normalised_incr(aof_dir: &Path) -> Vec<String> {
    incr_commands(aof_dir)
        .iter()
        .map(|a| normalise(a))
        .collect()
}
