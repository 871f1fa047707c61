# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rolecreds_global_optspecs
    string join \n account-id= role-name= role-arn= from-profile= targets= jobs= profile-name= source-profile= region= duration= session-name= external-id= source-identity= policy-arn= policy= tag= mfa-serial= token-code= mfa-process= mfa-process-timeout= mfa-session-duration= force dry-run watch refresh-before= min-remaining= credential-process credentials-file= lock-timeout= output= q/quiet v/verbose generate= h/help V/version
end

function __fish_rolecreds_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rolecreds_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rolecreds_using_subcommand
    set -l cmd (__fish_rolecreds_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rolecreds -n "__fish_rolecreds_needs_command" -l account-id -d 'The 12-digit account that owns the role (with --role-name)' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l role-name -d 'The role\'s name, with its path if it has one (e.g. dns_editor, team/deployer)' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l role-arn -d 'The role\'s full ARN, instead of --account-id and --role-name' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l from-profile -d 'Take the role and its options from this role profile of ~/.aws/config (role_arn, source_profile, external_id, ...); flags given as well override its values' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l targets -d 'Assume every role a targets file lists, concurrently, and write all profiles in one atomic edit (see README: "Many accounts and roles")' -r -F
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l jobs -d 'With --targets: how many roles to assume at once' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l profile-name -d 'The credentials-file profile to write [default: the account id]' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l source-profile -d 'Take the source credentials from this profile instead of the default chain' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l region -d 'The region for STS [default: AWS_REGION, the profile\'s region, else us-east-1]' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l duration -d 'Session lifetime: seconds or a duration like 1h, 90m (900 s to 12 h)' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l session-name -d 'Session name template with {user}, {role}, {account} [default: {user}@{role}.{account}]' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l external-id -d 'The external id the role\'s trust policy requires' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l source-identity -d 'A source identity to stamp on the session (shown in CloudTrail)' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l policy-arn -d 'A managed policy ARN to narrow the session\'s permissions (repeatable)' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l policy -d 'A JSON session-policy file to narrow the session\'s permissions' -r -F
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l tag -d 'A session tag KEY=VALUE (repeatable)' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l mfa-serial -d 'The MFA device\'s serial number or ARN, for roles that require MFA' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l token-code -d 'The current MFA code, or - to read it from standard input (a code on the command line shows in `ps`); without it rolecreds asks on the terminal' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l mfa-process -d 'A command that prints the current MFA code (e.g. \'ykman oath accounts code -s aws\'), run without a shell whenever a code is needed: for modes without a terminal' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l mfa-process-timeout -d 'How long --mfa-process may take to print the code' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l mfa-session-duration -d 'With --watch and --mfa-serial: how long one MFA code lasts (an STS session the role is assumed from without asking again)' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l refresh-before -d 'Refresh this long before expiry [default: 15m or half the lifetime, if smaller]' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l min-remaining -d 'Do nothing if the profile\'s credentials are still valid for at least this long (cron)' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l credentials-file -d 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]' -r -F
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l lock-timeout -d 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)' -r
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l output -d 'Result format: a human line on stderr, or JSON on stdout (never secrets)' -r -f -a "text\t''
json\t''"
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l generate -d 'Print a shell completion script or the man page (used by scripts/generate)' -r -f -a "bash\t''
zsh\t''
fish\t''
powershell\t''
elvish\t''
man\t''"
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l force -d 'Overwrite the profile even if it holds long-term keys (no session token)'
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l dry-run -d 'Resolve everything and call only read-only APIs; print what would be written'
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l watch -d 'Keep running: rotate now, then again before each expiry (SIGHUP: now; SIGTERM: stop; on Windows Ctrl-C or Ctrl-Break stops, and there is no SIGHUP)'
complete -c rolecreds -n "__fish_rolecreds_needs_command" -l credential-process -d 'Print credential_process JSON on stdout (cached until near expiry) instead of writing a profile'
complete -c rolecreds -n "__fish_rolecreds_needs_command" -s q -l quiet -d 'Print nothing on success; errors still go to stderr'
complete -c rolecreds -n "__fish_rolecreds_needs_command" -s v -l verbose -d 'Say more on stderr: -v what was decided and why, -vv debugging detail'
complete -c rolecreds -n "__fish_rolecreds_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rolecreds -n "__fish_rolecreds_needs_command" -s V -l version -d 'Print version'
complete -c rolecreds -n "__fish_rolecreds_needs_command" -f -a "import" -d 'Write credentials given as JSON on standard input into a profile'
complete -c rolecreds -n "__fish_rolecreds_needs_command" -f -a "status" -d 'List the profiles holding temporary credentials, with each one\'s expiry'
complete -c rolecreds -n "__fish_rolecreds_needs_command" -f -a "exec" -d 'Run a command with the role\'s credentials, kept fresh for as long as it runs'
complete -c rolecreds -n "__fish_rolecreds_needs_command" -f -a "serve" -d 'Serve the role\'s credentials on a local endpoint until stopped'
complete -c rolecreds -n "__fish_rolecreds_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand import" -l credentials-file -d 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]' -r -F
complete -c rolecreds -n "__fish_rolecreds_using_subcommand import" -l lock-timeout -d 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand import" -l output -d 'Result format: a human line on stderr, or JSON on stdout (never secrets)' -r -f -a "text\t''
json\t''"
complete -c rolecreds -n "__fish_rolecreds_using_subcommand import" -l profile-name -d 'The credentials-file profile to write (letters, digits and _-/.%@:+)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand import" -s q -l quiet -d 'Print nothing on success; errors still go to stderr'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand import" -s v -l verbose -d 'Say more on stderr: -v what was decided and why, -vv debugging detail'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand status" -l credentials-file -d 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]' -r -F
complete -c rolecreds -n "__fish_rolecreds_using_subcommand status" -l lock-timeout -d 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand status" -l output -d 'Result format: a human line on stderr, or JSON on stdout (never secrets)' -r -f -a "text\t''
json\t''"
complete -c rolecreds -n "__fish_rolecreds_using_subcommand status" -l profile -d 'Only this profile, and set the exit code by its freshness' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand status" -l min-remaining -d 'With --profile: how long it must still be valid' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand status" -s q -l quiet -d 'Print nothing on success; errors still go to stderr'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand status" -s v -l verbose -d 'Say more on stderr: -v what was decided and why, -vv debugging detail'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l credentials-file -d 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]' -r -F
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l lock-timeout -d 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l output -d 'Result format: a human line on stderr, or JSON on stdout (never secrets)' -r -f -a "text\t''
json\t''"
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l account-id -d 'The 12-digit account that owns the role (with --role-name)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l role-name -d 'The role\'s name, with its path if it has one (e.g. dns_editor, team/deployer)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l role-arn -d 'The role\'s full ARN, instead of --account-id and --role-name' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l from-profile -d 'Take the role and its options from this role profile of ~/.aws/config (role_arn, source_profile, external_id, ...); flags given as well override its values' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l targets -d 'Assume every role a targets file lists, concurrently, and write all profiles in one atomic edit (see README: "Many accounts and roles")' -r -F
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l jobs -d 'With --targets: how many roles to assume at once' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l profile-name -d 'The credentials-file profile to write [default: the account id]' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l source-profile -d 'Take the source credentials from this profile instead of the default chain' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l region -d 'The region for STS [default: AWS_REGION, the profile\'s region, else us-east-1]' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l duration -d 'Session lifetime: seconds or a duration like 1h, 90m (900 s to 12 h)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l session-name -d 'Session name template with {user}, {role}, {account} [default: {user}@{role}.{account}]' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l external-id -d 'The external id the role\'s trust policy requires' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l source-identity -d 'A source identity to stamp on the session (shown in CloudTrail)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l policy-arn -d 'A managed policy ARN to narrow the session\'s permissions (repeatable)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l policy -d 'A JSON session-policy file to narrow the session\'s permissions' -r -F
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l tag -d 'A session tag KEY=VALUE (repeatable)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l mfa-serial -d 'The MFA device\'s serial number or ARN, for roles that require MFA' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l token-code -d 'The current MFA code, or - to read it from standard input (a code on the command line shows in `ps`); without it rolecreds asks on the terminal' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l mfa-process -d 'A command that prints the current MFA code (e.g. \'ykman oath accounts code -s aws\'), run without a shell whenever a code is needed: for modes without a terminal' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l mfa-process-timeout -d 'How long --mfa-process may take to print the code' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l mfa-session-duration -d 'With --watch and --mfa-serial: how long one MFA code lasts (an STS session the role is assumed from without asking again)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l refresh-before -d 'Refresh this long before expiry [default: 15m or half the lifetime, if smaller]' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l min-remaining -d 'Do nothing if the profile\'s credentials are still valid for at least this long (cron)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -s q -l quiet -d 'Print nothing on success; errors still go to stderr'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -s v -l verbose -d 'Say more on stderr: -v what was decided and why, -vv debugging detail'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l force -d 'Overwrite the profile even if it holds long-term keys (no session token)'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l dry-run -d 'Resolve everything and call only read-only APIs; print what would be written'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l watch -d 'Keep running: rotate now, then again before each expiry (SIGHUP: now; SIGTERM: stop; on Windows Ctrl-C or Ctrl-Break stops, and there is no SIGHUP)'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l credential-process -d 'Print credential_process JSON on stdout (cached until near expiry) instead of writing a profile'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -l keep-aws-files -d 'Give the command the user\'s own AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE (a profile there with keys, or one the command names, may then win over the role)'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l credentials-file -d 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]' -r -F
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l lock-timeout -d 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l output -d 'Result format: a human line on stderr, or JSON on stdout (never secrets)' -r -f -a "text\t''
json\t''"
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l account-id -d 'The 12-digit account that owns the role (with --role-name)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l role-name -d 'The role\'s name, with its path if it has one (e.g. dns_editor, team/deployer)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l role-arn -d 'The role\'s full ARN, instead of --account-id and --role-name' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l from-profile -d 'Take the role and its options from this role profile of ~/.aws/config (role_arn, source_profile, external_id, ...); flags given as well override its values' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l targets -d 'Assume every role a targets file lists, concurrently, and write all profiles in one atomic edit (see README: "Many accounts and roles")' -r -F
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l jobs -d 'With --targets: how many roles to assume at once' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l profile-name -d 'The credentials-file profile to write [default: the account id]' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l source-profile -d 'Take the source credentials from this profile instead of the default chain' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l region -d 'The region for STS [default: AWS_REGION, the profile\'s region, else us-east-1]' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l duration -d 'Session lifetime: seconds or a duration like 1h, 90m (900 s to 12 h)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l session-name -d 'Session name template with {user}, {role}, {account} [default: {user}@{role}.{account}]' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l external-id -d 'The external id the role\'s trust policy requires' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l source-identity -d 'A source identity to stamp on the session (shown in CloudTrail)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l policy-arn -d 'A managed policy ARN to narrow the session\'s permissions (repeatable)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l policy -d 'A JSON session-policy file to narrow the session\'s permissions' -r -F
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l tag -d 'A session tag KEY=VALUE (repeatable)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l mfa-serial -d 'The MFA device\'s serial number or ARN, for roles that require MFA' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l token-code -d 'The current MFA code, or - to read it from standard input (a code on the command line shows in `ps`); without it rolecreds asks on the terminal' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l mfa-process -d 'A command that prints the current MFA code (e.g. \'ykman oath accounts code -s aws\'), run without a shell whenever a code is needed: for modes without a terminal' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l mfa-process-timeout -d 'How long --mfa-process may take to print the code' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l mfa-session-duration -d 'With --watch and --mfa-serial: how long one MFA code lasts (an STS session the role is assumed from without asking again)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l refresh-before -d 'Refresh this long before expiry [default: 15m or half the lifetime, if smaller]' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l min-remaining -d 'Do nothing if the profile\'s credentials are still valid for at least this long (cron)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l listen -d 'The loopback address to listen on (the SDKs accept plain HTTP only from loopback)' -r
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l token-file -d 'Write the token here (0600 on Unix, removed on exit) instead of a private temp directory, so that consumers can name a fixed AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE' -r -F
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -s q -l quiet -d 'Print nothing on success; errors still go to stderr'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -s v -l verbose -d 'Say more on stderr: -v what was decided and why, -vv debugging detail'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l force -d 'Overwrite the profile even if it holds long-term keys (no session token)'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l dry-run -d 'Resolve everything and call only read-only APIs; print what would be written'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l watch -d 'Keep running: rotate now, then again before each expiry (SIGHUP: now; SIGTERM: stop; on Windows Ctrl-C or Ctrl-Break stops, and there is no SIGHUP)'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l credential-process -d 'Print credential_process JSON on stdout (cached until near expiry) instead of writing a profile'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -l background -d 'Go on serving in the background once ready, print the export lines (and ROLECREDS_SERVE_PID, to stop it with kill) and exit: for eval "$(rolecreds serve ...)"'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand help; and not __fish_seen_subcommand_from import status exec serve help" -f -a "import" -d 'Write credentials given as JSON on standard input into a profile'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand help; and not __fish_seen_subcommand_from import status exec serve help" -f -a "status" -d 'List the profiles holding temporary credentials, with each one\'s expiry'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand help; and not __fish_seen_subcommand_from import status exec serve help" -f -a "exec" -d 'Run a command with the role\'s credentials, kept fresh for as long as it runs'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand help; and not __fish_seen_subcommand_from import status exec serve help" -f -a "serve" -d 'Serve the role\'s credentials on a local endpoint until stopped'
complete -c rolecreds -n "__fish_rolecreds_using_subcommand help; and not __fish_seen_subcommand_from import status exec serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
