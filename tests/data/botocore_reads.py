"""Reads edited credentials files with botocore's parser (RawConfigParser, strict) and checks them.

Input on stdin: a JSON list of {"path", "profile", "expected": {key: value}, "before": path or
null, "before_must_parse": bool (optional)}. For each file: it must parse; the profile must
hold exactly the expected credential values and no aws_security_token (not even one inherited
from [DEFAULT], which botocore prefers to aws_session_token); when the file before the edit
also parsed, every other section ([DEFAULT] included) reads back unchanged, no section
appears besides the profile, and the profile's keys that rolecreds neither writes nor removes
read back unchanged. With before_must_parse (rolecreds accepted that file, so botocore must
read it too), a before file that does not parse is a failure. Prints one line `PATH: problem`
per failure, with key names but never values (they are credentials), and exits 1 if any.
The JS SDK's loader gets the same input and checks in tests/js/credentials-reads.mjs.
"""
import configparser
import json
import sys

# The keys rolecreds writes or removes; botocore lowercases key names, so these are exact.
REWRITTEN = {
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "x_security_token_expires",
    "aws_security_token",
}


def read(path):
    parser = configparser.RawConfigParser(strict=True)  # what botocore uses
    # configparser.read(), which botocore calls, opens in text mode: universal newlines.
    with open(path, encoding="utf-8") as f:
        parser.read_file(f)
    return parser


def describe(err):
    # The kind and line only: a ParsingError's message quotes the line, which may be a secret.
    line = getattr(err, "lineno", None)
    return type(err).__name__ + (f" at line {line}" if line else "")


def sections(parser):
    # items() includes [DEFAULT]'s values, which botocore gives every profile.
    view = {name: dict(parser.items(name)) for name in parser.sections()}
    view["DEFAULT"] = dict(parser.defaults())
    return view


failures = []
for check in json.load(sys.stdin):
    path = check["path"]

    def fail(problem):
        failures.append(f"{path}: {problem}")

    try:
        after = sections(read(path))
    except configparser.Error as err:
        fail(f"botocore cannot parse it: {describe(err)}")
        continue
    profile = check["profile"]
    if profile not in after or profile == "DEFAULT":
        fail(f"no section [{profile}]")
        continue
    got = after[profile]
    for key, value in check["expected"].items():
        if got.get(key) != value:
            fail(f"{key} {'is missing' if key not in got else 'differs'}")
    if "aws_security_token" in got:
        fail("aws_security_token is still there")
    before = None
    if check.get("before"):
        try:
            before = sections(read(check["before"]))
        except configparser.Error as err:
            if check.get("before_must_parse"):
                fail(f"botocore rejects the file that rolecreds accepted: {describe(err)}")
    if before is None:
        continue
    for name, values in before.items():
        if name != profile and after.get(name) != values:
            fail(f"section [{name}] changed")
    for name in after.keys() - before.keys() - {profile}:
        fail(f"section [{name}] appeared")
    # A profile that is new inherits [DEFAULT]'s keys: that is what it "had" before.
    old, now = before.get(profile, before["DEFAULT"]), after[profile]
    for key in (old.keys() | now.keys()) - REWRITTEN:
        if old.get(key) != now.get(key):
            fail(f"key {key} of [{profile}] (not one rolecreds writes) differs")
print("\n".join(failures))
sys.exit(1 if failures else 0)
