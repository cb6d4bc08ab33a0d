//! One file per command; each takes typed settings and a `Ui`, and returns what the process
//! exits with.

pub mod collect;
pub mod containers;
pub mod doctor;
pub mod keeper;
pub mod login;
pub mod login_inside;
pub mod logout;
pub mod push;
pub mod status;
