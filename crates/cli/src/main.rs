//! `handset-cli`: the Handset engine without a window. See `handset-cli --help`.

mod cmd;

use clap::{Parser, Subcommand};

/// Exit codes, documented in --help.
const EXIT_CODES: &str = "\
EXIT CODES:
  0  success (parse: the message is valid; register: registered)
  1  invalid input (parse) or a failure the command reports on stderr
  2  bad command-line usage";

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
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Parse => cmd::parse::run(),
    };
    std::process::exit(code);
}
