//! `containers HOST CTR... --login-inside`: each container signed in on its own, one after
//! another over one SSH connection. The shim runs inside the container (through the engine's
//! `exec -i`), and every browser connection is relayed into the container's loopback the same
//! way: each container gets its own login, and no refresh token is shared.

use std::sync::Arc;

use crate::error::Error;
use crate::error::containers::ContainerError;
use crate::host::containers::check;
use crate::settings::{Settings, SignInSettings};
use crate::signin::many::table;
use crate::signin::{self, Interrupts, Outcome, Plan};
use crate::ui::Ui;
use crate::ui::exit::ExitStatus;
use codex_remote_login_remote::{ContainerRef, Engine, Selection};
use ssh::Connection;

/// Signs in every container named; one failing does not stop the others, and the table at
/// the end says which to run again (`--skip-logged-in` passes over those already done).
pub async fn run(
    host_arg: &str,
    names: &[String],
    engine: Option<Engine>,
    sign_in: &SignInSettings,
    settings: &Settings,
    ui: Arc<Ui>,
) -> Result<ExitStatus, Error> {
    check(&Selection {
        names: names.to_vec(),
        ..Selection::default()
    })?;
    if names.is_empty() {
        return Err(ContainerError::NoneNamed.into());
    }
    let mut plan = Plan::new(sign_in, settings)?;
    let mut interrupts = Interrupts::new().map_err(|source| Error::Signals { source })?;
    let conn = crate::host::connect::to(host_arg, &settings.ssh, &ui).await?;
    let mut results: Vec<(String, Result<Outcome, Error>)> = Vec::new();
    let single = names.len() == 1;
    for (turn, name) in names.iter().enumerate() {
        if !single {
            ui.info(&format!("Container {} of {}: {name}", turn + 1, names.len()));
        }
        plan.inside = Some(ContainerRef {
            name: name.clone(),
            engine,
        });
        let result = one(&plan, &conn, ui.clone(), &mut interrupts).await;
        if single {
            conn.close().await;
            return result.map(|_| ExitStatus::Success);
        }
        // A success has said so already; a failure is reported now, before the next one.
        if let Err(e) = &result {
            crate::error::render::show(&ui, e);
        }
        let interrupted = matches!(result, Err(Error::Interrupted { .. }));
        results.push((name.clone(), result));
        if interrupted {
            break;
        }
    }
    conn.close().await;
    if !ui.json() {
        ui.info(&table("CONTAINER", &results));
    }
    match results.into_iter().find_map(|(_, r)| r.err()) {
        Some(e) => Err(Error::Several {
            what: "container",
            failed: Box::new(e),
        }),
        None => Ok(ExitStatus::Success),
    }
}

/// One container's sign-in, within its own `--timeout`.
async fn one(plan: &Plan<'_>, conn: &Connection, ui: Arc<Ui>, interrupts: &mut Interrupts) -> Result<Outcome, Error> {
    let ports = signin::settle_ports(plan, &ui).await?;
    signin::launch(plan, conn, ports, ui, interrupts, plan.sign_in.skip_logged_in).await
}
