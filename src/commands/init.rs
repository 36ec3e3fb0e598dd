//! `ticketlake init`: write the commented config template. It reads no config, so it works
//! in a folder whose `ticketlake.toml` is broken (with `--force`).

use std::path::Path;

use super::{Ctx, out};
use crate::error::{Error, ExitStatus, Result};
use crate::settings::Shown;

/// Run `init`.
pub(crate) fn run(dir: &Path, force: bool, ctx: &Ctx, shown: &mut Shown) -> Result<ExitStatus> {
    let path = dir.join("ticketlake.toml");
    shown.add(
        "init.path",
        path.display().to_string(),
        "DIR argument (default .)",
    );
    shown.add(
        "init.force",
        force,
        if force { "--force" } else { "default" },
    );
    if ctx.showed(shown, false)? {
        return Ok(ExitStatus::Success);
    }
    std::fs::create_dir_all(dir).map_err(Error::io("creating", dir))?;
    if path.exists() && !force {
        return Err(Error::Usage(format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        )));
    }
    std::fs::write(&path, crate::config::TEMPLATE).map_err(Error::io("writing", &path))?;
    if !ctx.quiet {
        out::line(&format!("wrote {}", path.display()))?;
    }
    Ok(ExitStatus::Success)
}
