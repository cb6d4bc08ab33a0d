//! The steps a command takes on one host: connecting, the secret a sign-in may need, the CA
//! bundle it may carry, this machine's own login, and copying a login into containers.

pub mod ca_bundle;
pub mod connect;
pub mod containers;
pub mod local_login;
pub mod secret;
pub mod status;
