//! The container engines the shim drives on a host, and a container named on one.

/// An engine whose CLI the shim runs (`docker` and `podman` take the same commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Podman,
}

impl Engine {
    pub const ALL: [Self; 2] = [Self::Docker, Self::Podman];

    /// Every engine's name, as `--engine` offers them.
    pub const NAMES: [&'static str; 2] = {
        let mut names = [""; 2];
        let mut i = 0;
        while i < names.len() {
            names[i] = Self::ALL[i].name();
            i += 1;
        }
        names
    };

    /// The CLI's name, as the shim runs it and as `--engine` takes it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Docker => "docker",
            Self::Podman => "podman",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// A container on the host, and the engine to reach it through (none: whichever knows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerRef {
    pub name: String,
    pub engine: Option<Engine>,
}
