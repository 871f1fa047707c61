//! `rolecreds --generate KIND`: shell completions and the man page, from the clap definition,
//! so they never drift from the flags. `scripts/generate` writes them into completions/ and
//! man/; tests/generated_files.rs fails when a committed file differs from fresh output.

use super::{Cli, Generated};
use clap::CommandFactory as _;
use clap_complete::Shell;
use std::io::Write;

/// Writes the requested file to `out`.
pub fn generate(kind: Generated, out: &mut dyn Write) -> std::io::Result<()> {
    let mut command = Cli::command();
    let shell = match kind {
        Generated::Bash => Shell::Bash,
        Generated::Zsh => Shell::Zsh,
        Generated::Fish => Shell::Fish,
        Generated::Powershell => Shell::PowerShell,
        Generated::Elvish => Shell::Elvish,
        Generated::Man => return man_page(command, out),
    };
    clap_complete::generate(shell, &mut command, "rolecreds", out);
    Ok(())
}

fn man_page(command: clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(command);
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    out.write_all(EXTRA_SECTIONS.as_bytes())?;
    man.render_version_section(out)
}

/// The sections clap cannot derive: examples, exit status, environment, files.
const EXTRA_SECTIONS: &str = r#".SH EXAMPLES
.TP
Assume a role and write its credentials into profile dns:
.B rolecreds \-\-account\-id 123456789012 \-\-role\-name dns_editor \-\-profile\-name dns
.TP
The same role by ARN, as JSON for scripts:
.B rolecreds \-\-role\-arn arn:aws:iam::123456789012:role/dns_editor \-\-output json
.TP
From cron, every 30 minutes, silent unless something fails:
.B */30 * * * * rolecreds \-\-account\-id 123456789012 \-\-role\-name dns_editor \-\-quiet
.TP
Keep a profile fresh until stopped (SIGHUP refreshes now):
.B rolecreds \-\-account\-id 123456789012 \-\-role\-name dns_editor \-\-profile\-name dns \-\-watch
.TP
Take the role from a role profile of ~/.aws/config:
.B rolecreds \-\-from\-profile dns_editor
.TP
Write credentials you already have, keeping secrets off the command line:
.B aws sts assume\-role ... | rolecreds import \-\-profile\-name dev
.SH "EXIT STATUS"
.TP
.B 0
Success.
.TP
.B 1
An unexpected failure.
.TP
.B 2
Bad arguments or input; nothing was sent or written.
.TP
.B 3
AWS refused: access denied, invalid, expired or missing source credentials.
.TP
.B 4
The credentials file was refused or could not be written, its lock timed out, or the
target profile holds long\-term keys or the source credentials.
.TP
.B 5
The role needs an MFA code and there was neither \-\-token\-code nor a terminal, or the
\-\-mfa\-process failed, timed out or printed no code.
.TP
.B 6
AWS could not be reached, or kept throttling or failing.
.TP
.B 7
status \-\-profile: the profile is missing, expired, or expires within \-\-min\-remaining.
.TP
.B 8
\-\-targets: some targets failed; the others were written.
.PP
rolecreds exec exits with its command's status once the command has started (128+N when
signal N ended it; on Windows the command's exit code, all 32 bits of it).
.SH ENVIRONMENT
.TP
.B AWS_SHARED_CREDENTIALS_FILE
The credentials file to write (default ~/.aws/credentials; on Windows
%USERPROFILE%\(rs.aws\(rscredentials).
.TP
.B AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CONFIG_FILE
Where the source credentials come from, as for the AWS CLI.
.TP
.B AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_IAM
Where STS and IAM are called.
.TP
.B HTTPS_PROXY, NO_PROXY
The proxy for HTTPS requests.
.SH FILES
.TP
.I ~/.aws/credentials
The file rolecreds edits; one profile changes, every other byte stays.
.TP
.I ~/.aws/.credentials.rolecreds.lock
The lock every rolecreds takes before writing; never renamed or deleted.
.TP
.I ~/.aws/config
Profiles the source credentials may come from.
.SH WINDOWS
There are no file modes or owner uids: rolecreds sets no 0600 mode and checks no owner,
and the files are as private as the user profile directory's ACL makes them. \-\-watch and
serve stop on Ctrl\-C, Ctrl\-Break, the console closing or shutdown; there is no SIGHUP, so
nothing refreshes on demand. A rename refused while another program holds the file open is
retried for up to about 1.5 seconds. New files get CRLF line endings, as from the AWS CLI.
"#;
