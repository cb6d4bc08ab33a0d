//! The steps a command takes on one host: connecting, the secret a sign-in may need, the CA
//! bundle it may carry, this machine's own login, copying a login into containers, and
//! reading where the login stands.

pub mod ca_bundle;
pub mod connect;
pub mod containers;
pub mod local_login;
pub mod secret;
pub mod status;
