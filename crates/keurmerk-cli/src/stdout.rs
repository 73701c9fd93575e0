//! Output that cannot panic. `println!`, `print!` and `eprintln!` are shadowed here for the whole
//! binary (this module is declared first, with `#[macro_use]`): std's versions panic when a write
//! fails, so `keurmerk … | head -1` died with "failed printing to stdout: Broken pipe" (exit 101).
//! A closed pipe now ends the process quietly with status 141, as a program killed by SIGPIPE ends
//! in a shell; any other write error is a message and exit status 1. See docs/adr/0007.

use std::fmt;
use std::io::{self, Write};

/// Write to stdout like `println!`, without panicking.
macro_rules! println {
    () => {
        $crate::stdout::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Write to stdout like `print!`, without panicking.
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!($($arg)*))
    };
}

/// Write to stderr like `eprintln!`; a failed write is ignored, as there is nowhere left to report it.
macro_rules! eprintln {
    ($($arg:tt)*) => {
        $crate::stdout::write_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// The exit status of a process whose output pipe was closed: 128 + SIGPIPE, what a shell reports
/// for a program the signal ended.
pub const BROKEN_PIPE_EXIT: i32 = 141;

/// Write and flush `args` to stdout; on failure, end the process (see [`exit_on`]).
pub fn write(args: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        exit_on(&e);
    }
}

/// Write `args` to stderr, ignoring failure.
pub fn write_err(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// Is this error, or any error it wraps, a closed pipe?
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// End the process after a failed write to stdout: quietly with [`BROKEN_PIPE_EXIT`] when the reader
/// has gone (nothing is wrong, it read what it wanted), else with a message and status 1.
pub fn exit_on(e: &io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(BROKEN_PIPE_EXIT);
    }
    write_err(format_args!("error: writing output: {e}\n"));
    std::process::exit(1)
}
