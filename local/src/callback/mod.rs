//! The browser's way back to the host: the local proxy that takes the sign-in's callback, the
//! accept loop under it, the callback port and who holds it, the tunnel to the host's
//! loopback, and a callback address pasted by hand.

pub mod listener;
#[cfg(any(windows, test))]
pub mod netstat;
pub mod paste;
pub mod ports;
pub mod proxy;
pub mod tunnel;
