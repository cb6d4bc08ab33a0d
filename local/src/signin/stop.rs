//! What ends a sign-in from outside: an interrupt, or `--timeout` passing. One value, awaited
//! wherever the sign-in waits, so that every wait ends the same way.

use std::pin::Pin;
use std::time::Duration;

use tokio::time::Sleep;

use super::interrupts::Interrupts;
use crate::error::Error;

pub struct Stop<'a> {
    interrupts: &'a mut Interrupts,
    deadline: Pin<Box<Sleep>>,
    timeout: Duration,
}

impl<'a> Stop<'a> {
    /// `--timeout` from now, and the interrupts caught for the whole run.
    pub fn new(interrupts: &'a mut Interrupts, timeout: Duration) -> Self {
        Self {
            interrupts,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            timeout,
        }
    }

    /// The error that ends the sign-in on `host`, when it comes.
    pub async fn stopped(&mut self, host: &str) -> Error {
        tokio::select! {
            signal = self.interrupts.recv() => Error::Interrupted { host: host.to_owned(), signal },
            _ = &mut self.deadline => Error::Timeout {
                secs: self.timeout.as_secs(),
            },
        }
    }
}
