//! `ProxyJump a,b` (or `-J a,b`): the target is reached through `b`, which is reached through
//! `a`, as OpenSSH does it: each hop resolved from the same config file, and the hop list
//! overriding a hop's own ProxyJump. This finds the last hop and its configuration; the
//! connection opens it and reaches the target through it.

use crate::config;
use crate::destination::Destination;
use crate::error::{ConfigError, Error};
use crate::host_config::HostConfig;
use crate::settings::Settings;

/// More hops than any real chain has: a config that loops.
const MAX_HOPS: u8 = 8;

/// The configuration of the hop right before `config`'s host, with what is left of `jumps`
/// as its own ProxyJump.
pub fn last_hop(config: &HostConfig, jumps: &str) -> Result<HostConfig, Error> {
    let (rest, last) = match jumps.rsplit_once(',') {
        Some((rest, last)) => (Some(rest), last),
        None => (None, jumps),
    };
    let dest = Destination::parse_jump(last.trim())?;
    let args = Settings {
        config: config.config_file.clone(),
        ..Settings::default()
    };
    let mut hop = config::resolve(&dest, &args)?;
    hop.jump_depth = config.jump_depth + 1;
    // The built-in client reaches the hops of a built-in connection; where OpenSSH carries
    // one, it reaches the hops itself.
    hop.transport = crate::settings::Transport::Builtin;
    if hop.jump_depth > MAX_HOPS {
        return Err(Error::Config(ConfigError::BadValue {
            key: "ProxyJump",
            value: format!("{jumps} (more than {MAX_HOPS} hops: a loop?)"),
        }));
    }
    if rest.is_some() {
        hop.proxy_jump = rest.map(str::to_owned);
        hop.proxy_command = None;
    } else if hop
        .proxy_jump
        .as_deref()
        .and_then(|j| j.rsplit(',').next())
        .map(str::trim)
        == Some(last.trim())
    {
        // `Host * / ProxyJump bastion` also matches the bastion: it is not its own hop.
        hop.proxy_jump = None;
    }
    Ok(hop)
}
