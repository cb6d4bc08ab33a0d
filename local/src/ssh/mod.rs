//! The SSH side: naming a host, resolving its configuration, verifying its key,
//! authenticating, and the connection the flows run their channels on.

pub mod agent;
pub mod auth;
pub mod config;
pub mod config_file;
pub mod connection;
pub mod destination;
pub mod host_key;
pub mod known_hosts;
pub mod names;
pub mod pattern;
pub mod transport;

pub use connection::Connection;
