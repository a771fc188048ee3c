//! `completions SHELL`: the shell completion script for every subcommand and flag, generated from
//! the same definitions as `--help` (so it cannot drift from them).

use std::io::Write;

use azs_usage_core::Reason;
use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs};
use crate::exit::Failure;

pub fn run(args: CompletionsArgs) -> Result<(), Failure> {
    let mut command = Cli::command();
    let name = command.get_name().to_string();
    // Rendered first, so a closed pipe is an error to report rather than a panic in the generator.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, name, &mut script);
    std::io::stdout()
        .write_all(&script)
        .and_then(|()| std::io::stdout().flush())
        .map_err(|e| Failure::new(Reason::OutputWriteFailed, format!("cannot write the completion script: {e}")))
}
