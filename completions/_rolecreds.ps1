
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'rolecreds' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'rolecreds'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'rolecreds' {
            [CompletionResult]::new('--account-id', '--account-id', [CompletionResultType]::ParameterName, 'The 12-digit account that owns the role (with --role-name)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'The role''s name, with its path if it has one (e.g. dns_editor, team/deployer)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'The role''s full ARN, instead of --account-id and --role-name')
            [CompletionResult]::new('--from-profile', '--from-profile', [CompletionResultType]::ParameterName, 'Take the role and its options from this role profile of ~/.aws/config (role_arn, source_profile, external_id, ...); flags given as well override its values')
            [CompletionResult]::new('--targets', '--targets', [CompletionResultType]::ParameterName, 'Assume every role a targets file lists, concurrently, and write all profiles in one atomic edit (see README: "Many accounts and roles")')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'With --targets: how many roles to assume at once')
            [CompletionResult]::new('--profile-name', '--profile-name', [CompletionResultType]::ParameterName, 'The credentials-file profile to write [default: the account id]')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Take the source credentials from this profile instead of the default chain')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The region for STS [default: AWS_REGION, the profile''s region, else us-east-1]')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session lifetime: seconds or a duration like 1h, 90m (900 s to 12 h)')
            [CompletionResult]::new('--session-name', '--session-name', [CompletionResultType]::ParameterName, 'Session name template with {user}, {role}, {account} [default: {user}@{role}.{account}]')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'The external id the role''s trust policy requires')
            [CompletionResult]::new('--source-identity', '--source-identity', [CompletionResultType]::ParameterName, 'A source identity to stamp on the session (shown in CloudTrail)')
            [CompletionResult]::new('--policy-arn', '--policy-arn', [CompletionResultType]::ParameterName, 'A managed policy ARN to narrow the session''s permissions (repeatable)')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'A JSON session-policy file to narrow the session''s permissions')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'A session tag KEY=VALUE (repeatable)')
            [CompletionResult]::new('--mfa-serial', '--mfa-serial', [CompletionResultType]::ParameterName, 'The MFA device''s serial number or ARN, for roles that require MFA')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'The current MFA code, or - to read it from standard input (a code on the command line shows in `ps`); without it rolecreds asks on the terminal')
            [CompletionResult]::new('--mfa-process', '--mfa-process', [CompletionResultType]::ParameterName, 'A command that prints the current MFA code (e.g. ''ykman oath accounts code -s aws''), run without a shell whenever a code is needed: for modes without a terminal')
            [CompletionResult]::new('--mfa-process-timeout', '--mfa-process-timeout', [CompletionResultType]::ParameterName, 'How long --mfa-process may take to print the code')
            [CompletionResult]::new('--mfa-session-duration', '--mfa-session-duration', [CompletionResultType]::ParameterName, 'With --watch and --mfa-serial: how long one MFA code lasts (an STS session the role is assumed from without asking again)')
            [CompletionResult]::new('--refresh-before', '--refresh-before', [CompletionResultType]::ParameterName, 'Refresh this long before expiry [default: 15m or half the lifetime, if smaller]')
            [CompletionResult]::new('--min-remaining', '--min-remaining', [CompletionResultType]::ParameterName, 'Do nothing if the profile''s credentials are still valid for at least this long (cron)')
            [CompletionResult]::new('--credentials-file', '--credentials-file', [CompletionResultType]::ParameterName, 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Result format: a human line on stderr, or JSON on stdout (never secrets)')
            [CompletionResult]::new('--generate', '--generate', [CompletionResultType]::ParameterName, 'Print a shell completion script or the man page (used by scripts/generate)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite the profile even if it holds long-term keys (no session token)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Resolve everything and call only read-only APIs; print what would be written')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Keep running: rotate now, then again before each expiry (SIGHUP: now; SIGTERM: stop; on Windows Ctrl-C or Ctrl-Break stops, and there is no SIGHUP)')
            [CompletionResult]::new('--credential-process', '--credential-process', [CompletionResultType]::ParameterName, 'Print credential_process JSON on stdout (cached until near expiry) instead of writing a profile')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v what was decided and why, -vv debugging detail')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v what was decided and why, -vv debugging detail')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Write credentials given as JSON on standard input into a profile')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'List the profiles holding temporary credentials, with each one''s expiry')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with the role''s credentials, kept fresh for as long as it runs')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the role''s credentials on a local endpoint until stopped')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rolecreds;import' {
            [CompletionResult]::new('--credentials-file', '--credentials-file', [CompletionResultType]::ParameterName, 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Result format: a human line on stderr, or JSON on stdout (never secrets)')
            [CompletionResult]::new('--profile-name', '--profile-name', [CompletionResultType]::ParameterName, 'The credentials-file profile to write (letters, digits and _-/.%@:+)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v what was decided and why, -vv debugging detail')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v what was decided and why, -vv debugging detail')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rolecreds;status' {
            [CompletionResult]::new('--credentials-file', '--credentials-file', [CompletionResultType]::ParameterName, 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Result format: a human line on stderr, or JSON on stdout (never secrets)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Only this profile, and set the exit code by its freshness')
            [CompletionResult]::new('--min-remaining', '--min-remaining', [CompletionResultType]::ParameterName, 'With --profile: how long it must still be valid')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v what was decided and why, -vv debugging detail')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v what was decided and why, -vv debugging detail')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rolecreds;exec' {
            [CompletionResult]::new('--credentials-file', '--credentials-file', [CompletionResultType]::ParameterName, 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Result format: a human line on stderr, or JSON on stdout (never secrets)')
            [CompletionResult]::new('--account-id', '--account-id', [CompletionResultType]::ParameterName, 'The 12-digit account that owns the role (with --role-name)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'The role''s name, with its path if it has one (e.g. dns_editor, team/deployer)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'The role''s full ARN, instead of --account-id and --role-name')
            [CompletionResult]::new('--from-profile', '--from-profile', [CompletionResultType]::ParameterName, 'Take the role and its options from this role profile of ~/.aws/config (role_arn, source_profile, external_id, ...); flags given as well override its values')
            [CompletionResult]::new('--targets', '--targets', [CompletionResultType]::ParameterName, 'Assume every role a targets file lists, concurrently, and write all profiles in one atomic edit (see README: "Many accounts and roles")')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'With --targets: how many roles to assume at once')
            [CompletionResult]::new('--profile-name', '--profile-name', [CompletionResultType]::ParameterName, 'The credentials-file profile to write [default: the account id]')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Take the source credentials from this profile instead of the default chain')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The region for STS [default: AWS_REGION, the profile''s region, else us-east-1]')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session lifetime: seconds or a duration like 1h, 90m (900 s to 12 h)')
            [CompletionResult]::new('--session-name', '--session-name', [CompletionResultType]::ParameterName, 'Session name template with {user}, {role}, {account} [default: {user}@{role}.{account}]')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'The external id the role''s trust policy requires')
            [CompletionResult]::new('--source-identity', '--source-identity', [CompletionResultType]::ParameterName, 'A source identity to stamp on the session (shown in CloudTrail)')
            [CompletionResult]::new('--policy-arn', '--policy-arn', [CompletionResultType]::ParameterName, 'A managed policy ARN to narrow the session''s permissions (repeatable)')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'A JSON session-policy file to narrow the session''s permissions')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'A session tag KEY=VALUE (repeatable)')
            [CompletionResult]::new('--mfa-serial', '--mfa-serial', [CompletionResultType]::ParameterName, 'The MFA device''s serial number or ARN, for roles that require MFA')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'The current MFA code, or - to read it from standard input (a code on the command line shows in `ps`); without it rolecreds asks on the terminal')
            [CompletionResult]::new('--mfa-process', '--mfa-process', [CompletionResultType]::ParameterName, 'A command that prints the current MFA code (e.g. ''ykman oath accounts code -s aws''), run without a shell whenever a code is needed: for modes without a terminal')
            [CompletionResult]::new('--mfa-process-timeout', '--mfa-process-timeout', [CompletionResultType]::ParameterName, 'How long --mfa-process may take to print the code')
            [CompletionResult]::new('--mfa-session-duration', '--mfa-session-duration', [CompletionResultType]::ParameterName, 'With --watch and --mfa-serial: how long one MFA code lasts (an STS session the role is assumed from without asking again)')
            [CompletionResult]::new('--refresh-before', '--refresh-before', [CompletionResultType]::ParameterName, 'Refresh this long before expiry [default: 15m or half the lifetime, if smaller]')
            [CompletionResult]::new('--min-remaining', '--min-remaining', [CompletionResultType]::ParameterName, 'Do nothing if the profile''s credentials are still valid for at least this long (cron)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v what was decided and why, -vv debugging detail')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v what was decided and why, -vv debugging detail')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite the profile even if it holds long-term keys (no session token)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Resolve everything and call only read-only APIs; print what would be written')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Keep running: rotate now, then again before each expiry (SIGHUP: now; SIGTERM: stop; on Windows Ctrl-C or Ctrl-Break stops, and there is no SIGHUP)')
            [CompletionResult]::new('--credential-process', '--credential-process', [CompletionResultType]::ParameterName, 'Print credential_process JSON on stdout (cached until near expiry) instead of writing a profile')
            [CompletionResult]::new('--keep-aws-files', '--keep-aws-files', [CompletionResultType]::ParameterName, 'Give the command the user''s own AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE (a profile there with keys, or one the command names, may then win over the role)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rolecreds;serve' {
            [CompletionResult]::new('--credentials-file', '--credentials-file', [CompletionResultType]::ParameterName, 'The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Result format: a human line on stderr, or JSON on stdout (never secrets)')
            [CompletionResult]::new('--account-id', '--account-id', [CompletionResultType]::ParameterName, 'The 12-digit account that owns the role (with --role-name)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'The role''s name, with its path if it has one (e.g. dns_editor, team/deployer)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'The role''s full ARN, instead of --account-id and --role-name')
            [CompletionResult]::new('--from-profile', '--from-profile', [CompletionResultType]::ParameterName, 'Take the role and its options from this role profile of ~/.aws/config (role_arn, source_profile, external_id, ...); flags given as well override its values')
            [CompletionResult]::new('--targets', '--targets', [CompletionResultType]::ParameterName, 'Assume every role a targets file lists, concurrently, and write all profiles in one atomic edit (see README: "Many accounts and roles")')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'With --targets: how many roles to assume at once')
            [CompletionResult]::new('--profile-name', '--profile-name', [CompletionResultType]::ParameterName, 'The credentials-file profile to write [default: the account id]')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Take the source credentials from this profile instead of the default chain')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The region for STS [default: AWS_REGION, the profile''s region, else us-east-1]')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session lifetime: seconds or a duration like 1h, 90m (900 s to 12 h)')
            [CompletionResult]::new('--session-name', '--session-name', [CompletionResultType]::ParameterName, 'Session name template with {user}, {role}, {account} [default: {user}@{role}.{account}]')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'The external id the role''s trust policy requires')
            [CompletionResult]::new('--source-identity', '--source-identity', [CompletionResultType]::ParameterName, 'A source identity to stamp on the session (shown in CloudTrail)')
            [CompletionResult]::new('--policy-arn', '--policy-arn', [CompletionResultType]::ParameterName, 'A managed policy ARN to narrow the session''s permissions (repeatable)')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'A JSON session-policy file to narrow the session''s permissions')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'A session tag KEY=VALUE (repeatable)')
            [CompletionResult]::new('--mfa-serial', '--mfa-serial', [CompletionResultType]::ParameterName, 'The MFA device''s serial number or ARN, for roles that require MFA')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'The current MFA code, or - to read it from standard input (a code on the command line shows in `ps`); without it rolecreds asks on the terminal')
            [CompletionResult]::new('--mfa-process', '--mfa-process', [CompletionResultType]::ParameterName, 'A command that prints the current MFA code (e.g. ''ykman oath accounts code -s aws''), run without a shell whenever a code is needed: for modes without a terminal')
            [CompletionResult]::new('--mfa-process-timeout', '--mfa-process-timeout', [CompletionResultType]::ParameterName, 'How long --mfa-process may take to print the code')
            [CompletionResult]::new('--mfa-session-duration', '--mfa-session-duration', [CompletionResultType]::ParameterName, 'With --watch and --mfa-serial: how long one MFA code lasts (an STS session the role is assumed from without asking again)')
            [CompletionResult]::new('--refresh-before', '--refresh-before', [CompletionResultType]::ParameterName, 'Refresh this long before expiry [default: 15m or half the lifetime, if smaller]')
            [CompletionResult]::new('--min-remaining', '--min-remaining', [CompletionResultType]::ParameterName, 'Do nothing if the profile''s credentials are still valid for at least this long (cron)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'The loopback address to listen on (the SDKs accept plain HTTP only from loopback)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'Write the token here (0600 on Unix, removed on exit) instead of a private temp directory, so that consumers can name a fixed AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: -v what was decided and why, -vv debugging detail')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: -v what was decided and why, -vv debugging detail')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite the profile even if it holds long-term keys (no session token)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Resolve everything and call only read-only APIs; print what would be written')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Keep running: rotate now, then again before each expiry (SIGHUP: now; SIGTERM: stop; on Windows Ctrl-C or Ctrl-Break stops, and there is no SIGHUP)')
            [CompletionResult]::new('--credential-process', '--credential-process', [CompletionResultType]::ParameterName, 'Print credential_process JSON on stdout (cached until near expiry) instead of writing a profile')
            [CompletionResult]::new('--background', '--background', [CompletionResultType]::ParameterName, 'Go on serving in the background once ready, print the export lines (and ROLECREDS_SERVE_PID, to stop it with kill) and exit: for eval "$(rolecreds serve ...)"')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rolecreds;help' {
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Write credentials given as JSON on standard input into a profile')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'List the profiles holding temporary credentials, with each one''s expiry')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with the role''s credentials, kept fresh for as long as it runs')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the role''s credentials on a local endpoint until stopped')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rolecreds;help;import' {
            break
        }
        'rolecreds;help;status' {
            break
        }
        'rolecreds;help;exec' {
            break
        }
        'rolecreds;help;serve' {
            break
        }
        'rolecreds;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
