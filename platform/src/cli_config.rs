//! The command line with kumiki.toml under it: clap parses flags and `KUMIKI_*` variables, then
//! every argument that neither gave a value (its `ValueSource` is the default, or none) takes the
//! file's key of the same name (`kumiki_platform::config_file`). So the order is defaults < file <
//! environment < flags without a second parser of flags.

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use kumiki_platform::config_file::{self, FileConfig};

use super::{Cli, Command, ServeArgs};

/// The command line, completed from the configuration file. Clap's own refusals (and `--help`)
/// exit here as clap does; a refused configuration file is the `Err` message.
pub fn parse() -> Result<Cli, String> {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Some(file) = config_file::load(cli.common.config.as_deref())? {
        apply(file, &matches, &mut cli);
    }
    Ok(cli)
}

/// Whether argument `id` still holds its default: not on the command line, not from the
/// environment. (Global arguments carry the strongest source at every level, so the top level
/// tells for them.)
fn defaulted(matches: &ArgMatches, id: &str) -> bool {
    !matches!(
        matches.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// `take!(matches, file.key => target)`: the file's value where the argument kept its default;
/// `opt` wraps it for an optional argument.
macro_rules! take {
    ($m:expr, $file:ident . $key:ident => $target:expr) => {
        if let Some(v) = $file
            .$key
            .take()
            .filter(|_| defaulted($m, stringify!($key)))
        {
            $target = v;
        }
    };
    ($m:expr, $file:ident . $key:ident => $target:expr, opt) => {
        if let Some(v) = $file
            .$key
            .take()
            .filter(|_| defaulted($m, stringify!($key)))
        {
            $target = Some(v);
        }
    };
}

fn apply(mut file: FileConfig, matches: &ArgMatches, cli: &mut Cli) {
    let common = &mut cli.common;
    take!(matches, file.data_dir => common.data_dir);
    take!(matches, file.files_dir => common.files_dir, opt);
    take!(matches, file.files_store => common.files_store);
    take!(matches, file.database_url => common.database_url, opt);
    take!(matches, file.search_dictionary => common.search_dictionary);
    take!(matches, file.clamd_socket => common.clamd_socket, opt);
    take!(matches, file.log_format => common.log_format);
    // serve's keys matter only to serve; other commands ignore them.
    let (Command::Serve(serve), Some(("serve", m))) = (&mut cli.command, matches.subcommand())
    else {
        return;
    };
    apply_serve(file, m, serve);
}

fn apply_serve(mut file: FileConfig, m: &ArgMatches, serve: &mut ServeArgs) {
    take!(m, file.host => serve.host);
    take!(m, file.port => serve.port);
    take!(m, file.no_examples => serve.no_examples);
    take!(m, file.workers => serve.workers);
    take!(m, file.insecure_cookies => serve.insecure_cookies);
    take!(m, file.trusted_proxies => serve.trusted_proxies);
    take!(m, file.proxy_header => serve.proxy_header);
    take!(m, file.allowlist_off => serve.allowlist_off);
    take!(m, file.public_listen => serve.public_listen, opt);
    take!(m, file.metrics_token => serve.metrics_token, opt);
    let mail = &mut serve.mail;
    take!(m, file.smtp_url => mail.smtp_url, opt);
    take!(m, file.smtp_from => mail.smtp_from, opt);
    take!(m, file.smtp_password => mail.smtp_password, opt);
    take!(m, file.smtp_timeout => mail.smtp_timeout);
    take!(m, file.public_url => mail.public_url, opt);
}
