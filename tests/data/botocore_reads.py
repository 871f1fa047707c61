"""Reads edited credentials files with botocore's parser (RawConfigParser, strict) and checks them.

Input on stdin: a JSON list of {"path", "profile", "expected": {key: value}, "before": path or
null}. For each file: it must parse; the profile must hold exactly the expected credential
values and no aws_security_token; when the file before the edit also parsed, every other
section must read back unchanged. Prints one line per failure and exits 1 if any.
"""
import configparser
import json
import sys


def read(path):
    parser = configparser.RawConfigParser(strict=True)  # what botocore uses
    with open(path, encoding="utf-8", newline="") as f:
        parser.read_file(f)
    return parser


def sections(parser):
    return {name: dict(parser.items(name)) for name in parser.sections()}


failures = []
for check in json.load(sys.stdin):
    try:
        after = read(check["path"])
    except configparser.Error as err:
        failures.append(f"{check['path']}: botocore cannot parse it: {err}")
        continue
    profile = check["profile"]
    if not after.has_section(profile):
        failures.append(f"{check['path']}: no section [{profile}]")
        continue
    got = dict(after.items(profile))
    for key, value in check["expected"].items():
        if got.get(key) != value:
            failures.append(f"{check['path']}: {key} reads {got.get(key)!r}")
    if "aws_security_token" in got:
        failures.append(f"{check['path']}: aws_security_token is still there")
    if check.get("before"):
        try:
            before = sections(read(check["before"]))
        except configparser.Error:
            before = None
        if before is not None:
            now = sections(after)
            for name, values in before.items():
                if name != profile and now.get(name) != values:
                    failures.append(f"{check['path']}: section [{name}] changed")
print("\n".join(failures))
sys.exit(1 if failures else 0)
