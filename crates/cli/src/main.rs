//! `handset-cli`: the Handset engine without a window. See `handset-cli --help`.

mod cmd;

use clap::{Parser, Subcommand};

/// Exit codes, documented in --help.
const EXIT_CODES: &str = "\
EXIT CODES:
  0  success (parse: the message is valid; register: registered)
  1  invalid input (parse) or a failure the command reports on stderr
     (register: authentication failed, refused, timed out, TLS certificate refused)
  2  bad command-line usage or settings

ENVIRONMENT:
  HANDSET_PASSWORD  the account password (or the variable named by --password-env)
  HANDSET_LOG       log filter for stderr, e.g. info or handset_sip=debug";

#[derive(Parser)]
#[command(name = "handset-cli", version, about = "Headless Handset softphone: parse SIP, register, call, chat", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read one SIP message from stdin and print it as one JSON line
    /// (kind, method or status, request_uri, call_id, from, to, cseq, via…).
    /// Exit 1 with a one-line reason on stderr when it is not a valid message.
    Parse,
    /// Register an account (password from an environment variable), print the
    /// binding and its expiry, unregister on exit. Exit 1 with the reason
    /// (e.g. `authentication failed for 101@example.com`) when it fails.
    Register(Box<cmd::register::RegisterArgs>),
}

fn main() {
    let cli = Cli::parse();
    init_logging();
    let code = match cli.command {
        Command::Parse => cmd::parse::run(),
        Command::Register(args) => runtime().block_on(cmd::register::run(*args)),
    };
    std::process::exit(code);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Logs go to stderr, filtered by HANDSET_LOG (e.g. `HANDSET_LOG=debug`); off by default
/// so stdout and stderr stay the documented one-liners.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HANDSET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
