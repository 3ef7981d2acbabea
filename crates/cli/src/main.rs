//! `handset-cli`: the Handset engine without a window. See `handset-cli --help`.

mod cmd;

use clap::{Parser, Subcommand};

/// Exit codes, documented in --help.
const EXIT_CODES: &str = "\
EXIT CODES:
  0  success (parse: the message is valid; register: registered;
     call/answer: the call connected, audio arrived, and it ended as planned)
  1  invalid input (parse) or a failure the command reports on stderr
     (authentication failed, refused, timed out, TLS certificate refused)
  2  bad command-line usage or settings
  3  call/answer: the call never connected (busy, declined, not found,
     no answer, or no call arrived)
  4  call/answer: the call connected but no audio arrived from the other side

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
    /// Call someone (registering first unless --no-register), play a WAV or
    /// silence, record what comes back, send DTMF, hold and resume on cue,
    /// hang up after --duration, and print the call's quality figures.
    Call(Box<cmd::call::CallArgs>),
    /// Wait for a call and answer it (or --decline it), with the same script
    /// flags as `call`; --count 0 --echo makes an echo test peer.
    Answer(Box<cmd::answer::AnswerArgs>),
    /// An interactive softphone for scripts: commands on stdin, one per line
    /// (dial <target> | answer | decline [status] | hangup | hold | resume |
    /// mute | unmute | dtmf <digits> | quit), every engine event as a JSON
    /// line on stdout.
    Phone(Box<cmd::phone::PhoneArgs>),
    /// Chat: send messages through a crash-safe outbox kept in --db, flush
    /// what a crash left pending, or listen for messages (JSON lines).
    Chat(Box<cmd::chat::ChatArgs>),
}

fn main() {
    let cli = Cli::parse();
    init_logging();
    let code = match cli.command {
        Command::Parse => cmd::parse::run(),
        Command::Register(args) => runtime().block_on(cmd::register::run(*args)),
        Command::Call(args) => runtime().block_on(cmd::call::run(*args)),
        Command::Answer(args) => runtime().block_on(cmd::answer::run(*args)),
        Command::Phone(args) => runtime().block_on(cmd::phone::run(*args)),
        Command::Chat(args) => runtime().block_on(cmd::chat::run(*args)),
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
