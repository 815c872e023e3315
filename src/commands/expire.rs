//! (stub: being written)

use crate::commands::Command;

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[];
