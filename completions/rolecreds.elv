
use builtin;
use str;

set edit:completion:arg-completer[rolecreds] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'rolecreds'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'rolecreds'= {
            cand --account-id 'The 12-digit account that owns the role (with --role-name)'
            cand --role-name 'The role''s name, with its path if it has one (e.g. dns_editor, team/deployer)'
            cand --role-arn 'The role''s full ARN, instead of --account-id and --role-name'
            cand --from-profile 'Take the role and its options from this role profile of ~/.aws/config (role_arn, source_profile, external_id, ...); flags given as well override its values'
            cand --targets 'Assume every role a targets file lists, concurrently, and write all profiles in one atomic edit (see README: "Many accounts and roles")'
            cand --jobs 'With --targets: how many roles to assume at once'
            cand --profile-name 'The credentials-file profile to write [default: the account id]'
            cand --source-profile 'Take the source credentials from this profile instead of the default chain'
            cand --region 'The region for STS [default: AWS_REGION, the profile''s region, else us-east-1]'
            cand --duration 'Session lifetime: seconds or a duration like 1h, 90m (900 s to 12 h)'
            cand --session-name 'Session name template with {user}, {role}, {account} [default: {user}@{role}.{account}]'
            cand --external-id 'The external id the role''s trust policy requires'
            cand --source-identity 'A source identity to stamp on the session (shown in CloudTrail)'
            cand --policy-arn 'A managed policy ARN to narrow the session''s permissions (repeatable)'
            cand --policy 'A JSON session-policy file to narrow the session''s permissions'
            cand --tag 'A session tag KEY=VALUE (repeatable)'
            cand --mfa-serial 'The MFA device''s serial number or ARN, for roles that require MFA'
            cand --token-code 'The current MFA code, or - to read it from standard input (a code on the command line shows in `ps`); without it rolecreds asks on the terminal'
            cand --mfa-process 'A command that prints the current MFA code (e.g. ''ykman oath accounts code -s aws''), run without a shell whenever a code is needed: for modes without a terminal'
            cand --mfa-process-timeout 'How long --mfa-process may take to print the code'
            cand --mfa-session-duration 'With --watch and --mfa-serial: how long one MFA code lasts (an STS session the role is assumed from without asking again)'
            cand --refresh-before 'Refresh this long before expiry [default: 15m or half the lifetime, if smaller]'
            cand --min-remaining 'Do nothing if the profile''s credentials are still valid for at least this long (cron)'
            cand --credentials-file 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]'
            cand --lock-timeout 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)'
            cand --output 'Result format: a human line on stderr, or JSON on stdout (never secrets)'
            cand --generate 'Print a shell completion script or the man page (used by scripts/generate)'
            cand --force 'Overwrite the profile even if it holds long-term keys (no session token)'
            cand --dry-run 'Resolve everything and call only read-only APIs; print what would be written'
            cand --watch 'Keep running: rotate now, then again before each expiry (SIGHUP: now; SIGTERM: stop; on Windows Ctrl-C or Ctrl-Break stops, and there is no SIGHUP)'
            cand --credential-process 'Print credential_process JSON on stdout (cached until near expiry) instead of writing a profile'
            cand -q 'Print nothing on success; errors still go to stderr'
            cand --quiet 'Print nothing on success; errors still go to stderr'
            cand -v 'Say more on stderr: -v what was decided and why, -vv debugging detail'
            cand --verbose 'Say more on stderr: -v what was decided and why, -vv debugging detail'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand import 'Write credentials given as JSON on standard input into a profile'
            cand status 'List the profiles holding temporary credentials, with each one''s expiry'
            cand exec 'Run a command with the role''s credentials, kept fresh for as long as it runs'
            cand serve 'Serve the role''s credentials on a local endpoint until stopped'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rolecreds;import'= {
            cand --credentials-file 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]'
            cand --lock-timeout 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)'
            cand --output 'Result format: a human line on stderr, or JSON on stdout (never secrets)'
            cand --profile-name 'The credentials-file profile to write (letters, digits and _-/.%@:+)'
            cand -q 'Print nothing on success; errors still go to stderr'
            cand --quiet 'Print nothing on success; errors still go to stderr'
            cand -v 'Say more on stderr: -v what was decided and why, -vv debugging detail'
            cand --verbose 'Say more on stderr: -v what was decided and why, -vv debugging detail'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rolecreds;status'= {
            cand --credentials-file 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]'
            cand --lock-timeout 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)'
            cand --output 'Result format: a human line on stderr, or JSON on stdout (never secrets)'
            cand --profile 'Only this profile, and set the exit code by its freshness'
            cand --min-remaining 'With --profile: how long it must still be valid'
            cand -q 'Print nothing on success; errors still go to stderr'
            cand --quiet 'Print nothing on success; errors still go to stderr'
            cand -v 'Say more on stderr: -v what was decided and why, -vv debugging detail'
            cand --verbose 'Say more on stderr: -v what was decided and why, -vv debugging detail'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rolecreds;exec'= {
            cand --credentials-file 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]'
            cand --lock-timeout 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)'
            cand --output 'Result format: a human line on stderr, or JSON on stdout (never secrets)'
            cand --account-id 'The 12-digit account that owns the role (with --role-name)'
            cand --role-name 'The role''s name, with its path if it has one (e.g. dns_editor, team/deployer)'
            cand --role-arn 'The role''s full ARN, instead of --account-id and --role-name'
            cand --from-profile 'Take the role and its options from this role profile of ~/.aws/config (role_arn, source_profile, external_id, ...); flags given as well override its values'
            cand --targets 'Assume every role a targets file lists, concurrently, and write all profiles in one atomic edit (see README: "Many accounts and roles")'
            cand --jobs 'With --targets: how many roles to assume at once'
            cand --profile-name 'The credentials-file profile to write [default: the account id]'
            cand --source-profile 'Take the source credentials from this profile instead of the default chain'
            cand --region 'The region for STS [default: AWS_REGION, the profile''s region, else us-east-1]'
            cand --duration 'Session lifetime: seconds or a duration like 1h, 90m (900 s to 12 h)'
            cand --session-name 'Session name template with {user}, {role}, {account} [default: {user}@{role}.{account}]'
            cand --external-id 'The external id the role''s trust policy requires'
            cand --source-identity 'A source identity to stamp on the session (shown in CloudTrail)'
            cand --policy-arn 'A managed policy ARN to narrow the session''s permissions (repeatable)'
            cand --policy 'A JSON session-policy file to narrow the session''s permissions'
            cand --tag 'A session tag KEY=VALUE (repeatable)'
            cand --mfa-serial 'The MFA device''s serial number or ARN, for roles that require MFA'
            cand --token-code 'The current MFA code, or - to read it from standard input (a code on the command line shows in `ps`); without it rolecreds asks on the terminal'
            cand --mfa-process 'A command that prints the current MFA code (e.g. ''ykman oath accounts code -s aws''), run without a shell whenever a code is needed: for modes without a terminal'
            cand --mfa-process-timeout 'How long --mfa-process may take to print the code'
            cand --mfa-session-duration 'With --watch and --mfa-serial: how long one MFA code lasts (an STS session the role is assumed from without asking again)'
            cand --refresh-before 'Refresh this long before expiry [default: 15m or half the lifetime, if smaller]'
            cand --min-remaining 'Do nothing if the profile''s credentials are still valid for at least this long (cron)'
            cand -q 'Print nothing on success; errors still go to stderr'
            cand --quiet 'Print nothing on success; errors still go to stderr'
            cand -v 'Say more on stderr: -v what was decided and why, -vv debugging detail'
            cand --verbose 'Say more on stderr: -v what was decided and why, -vv debugging detail'
            cand --force 'Overwrite the profile even if it holds long-term keys (no session token)'
            cand --dry-run 'Resolve everything and call only read-only APIs; print what would be written'
            cand --watch 'Keep running: rotate now, then again before each expiry (SIGHUP: now; SIGTERM: stop; on Windows Ctrl-C or Ctrl-Break stops, and there is no SIGHUP)'
            cand --credential-process 'Print credential_process JSON on stdout (cached until near expiry) instead of writing a profile'
            cand --keep-aws-files 'Give the command the user''s own AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE (a profile there with keys, or one the command names, may then win over the role)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rolecreds;serve'= {
            cand --credentials-file 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]'
            cand --lock-timeout 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)'
            cand --output 'Result format: a human line on stderr, or JSON on stdout (never secrets)'
            cand --account-id 'The 12-digit account that owns the role (with --role-name)'
            cand --role-name 'The role''s name, with its path if it has one (e.g. dns_editor, team/deployer)'
            cand --role-arn 'The role''s full ARN, instead of --account-id and --role-name'
            cand --from-profile 'Take the role and its options from this role profile of ~/.aws/config (role_arn, source_profile, external_id, ...); flags given as well override its values'
            cand --targets 'Assume every role a targets file lists, concurrently, and write all profiles in one atomic edit (see README: "Many accounts and roles")'
            cand --jobs 'With --targets: how many roles to assume at once'
            cand --profile-name 'The credentials-file profile to write [default: the account id]'
            cand --source-profile 'Take the source credentials from this profile instead of the default chain'
            cand --region 'The region for STS [default: AWS_REGION, the profile''s region, else us-east-1]'
            cand --duration 'Session lifetime: seconds or a duration like 1h, 90m (900 s to 12 h)'
            cand --session-name 'Session name template with {user}, {role}, {account} [default: {user}@{role}.{account}]'
            cand --external-id 'The external id the role''s trust policy requires'
            cand --source-identity 'A source identity to stamp on the session (shown in CloudTrail)'
            cand --policy-arn 'A managed policy ARN to narrow the session''s permissions (repeatable)'
            cand --policy 'A JSON session-policy file to narrow the session''s permissions'
            cand --tag 'A session tag KEY=VALUE (repeatable)'
            cand --mfa-serial 'The MFA device''s serial number or ARN, for roles that require MFA'
            cand --token-code 'The current MFA code, or - to read it from standard input (a code on the command line shows in `ps`); without it rolecreds asks on the terminal'
            cand --mfa-process 'A command that prints the current MFA code (e.g. ''ykman oath accounts code -s aws''), run without a shell whenever a code is needed: for modes without a terminal'
            cand --mfa-process-timeout 'How long --mfa-process may take to print the code'
            cand --mfa-session-duration 'With --watch and --mfa-serial: how long one MFA code lasts (an STS session the role is assumed from without asking again)'
            cand --refresh-before 'Refresh this long before expiry [default: 15m or half the lifetime, if smaller]'
            cand --min-remaining 'Do nothing if the profile''s credentials are still valid for at least this long (cron)'
            cand --listen 'The loopback address to listen on (the SDKs accept plain HTTP only from loopback)'
            cand --token-file 'Write the token here (0600 on Unix, removed on exit) instead of a private temp directory, so that consumers can name a fixed AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'
            cand -q 'Print nothing on success; errors still go to stderr'
            cand --quiet 'Print nothing on success; errors still go to stderr'
            cand -v 'Say more on stderr: -v what was decided and why, -vv debugging detail'
            cand --verbose 'Say more on stderr: -v what was decided and why, -vv debugging detail'
            cand --force 'Overwrite the profile even if it holds long-term keys (no session token)'
            cand --dry-run 'Resolve everything and call only read-only APIs; print what would be written'
            cand --watch 'Keep running: rotate now, then again before each expiry (SIGHUP: now; SIGTERM: stop; on Windows Ctrl-C or Ctrl-Break stops, and there is no SIGHUP)'
            cand --credential-process 'Print credential_process JSON on stdout (cached until near expiry) instead of writing a profile'
            cand --background 'Go on serving in the background once ready, print the export lines (and ROLECREDS_SERVE_PID, to stop it with kill) and exit: for eval "$(rolecreds serve ...)"'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rolecreds;help'= {
            cand import 'Write credentials given as JSON on standard input into a profile'
            cand status 'List the profiles holding temporary credentials, with each one''s expiry'
            cand exec 'Run a command with the role''s credentials, kept fresh for as long as it runs'
            cand serve 'Serve the role''s credentials on a local endpoint until stopped'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rolecreds;help;import'= {
        }
        &'rolecreds;help;status'= {
        }
        &'rolecreds;help;exec'= {
        }
        &'rolecreds;help;serve'= {
        }
        &'rolecreds;help;help'= {
        }
    ]
    $completions[$command]
}
