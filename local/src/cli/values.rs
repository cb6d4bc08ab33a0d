//! What the containers' options take, shared by `containers`, `collect`, `logout` and
//! `keeper start`: the engine's help, a label, the selection they make.

use codex_remote_login_remote::{Engine, Running, Selection};

/// `--engine`'s line in `-h`. The names come from [`Engine::NAMES`], so that a new engine is
/// offered with no edit here; clap's own `[possible values: ...]` would wrap the line.
pub(super) fn engine_help() -> String {
    format!(
        "{} (default: whichever knows the container)",
        Engine::NAMES.join(" or ")
    )
}

/// `--engine`'s `--help`, for `which` containers.
pub(super) fn engine_long_help(which: &str) -> String {
    format!(
        "The engine to use: {} (default: whichever of them knows {which}).",
        Engine::NAMES.join(" or ")
    )
}

/// `--label KEY=VALUE`: a label filter as the engines take it, with a key.
pub(super) fn label(text: &str) -> Result<String, String> {
    match text.split_once('=') {
        Some((key, _)) if !key.is_empty() => Ok(text.to_owned()),
        _ => Err(format!("expected KEY=VALUE, as in --label app=web (got {text:?})")),
    }
}

/// Which containers: the names, `--all-running` or `--label`, and `--engine`.
pub(super) fn wanted(
    names: Vec<String>,
    all_running: bool,
    label: Option<String>,
    engine: Option<String>,
) -> Selection {
    Selection {
        names,
        running: if all_running {
            Some(Running::All)
        } else {
            label.map(Running::Labelled)
        },
        engine: engine.as_deref().and_then(Engine::parse),
    }
}
