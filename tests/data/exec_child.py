"""Child processes for tests/exec_serve.rs, run under `rolecreds exec` (or beside `serve`).

Usage: python exec_child.py MODE ARGS...

  env                          print {"env": os.environ, "files": {...}} as JSON; "files" holds,
                               for AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, the path,
                               its text as read now (while rolecreds runs) and its mode
  signals OUT READY            record the name of each of SIGINT SIGTERM SIGHUP SIGQUIT SIGUSR1
                               SIGUSR2 received (one a line, in OUT); create READY once the
                               handlers are in place; exit 0 after SIGUSR2 (9 after 60 s)
  boto3-loop SECONDS INTERVAL  call sts:GetCallerIdentity with one boto3 session every INTERVAL
                               for SECONDS, recording the access key id boto3 holds at each
                               call and every exception; print a JSON summary
  fetch-loop SECONDS INTERVAL STARTED
                               GET the container credentials endpoint (FULL_URI, with the
                               token as the Authorization header) every INTERVAL for SECONDS;
                               create STARTED after the first answer; print every answer as
                               JSON (epoch time, HTTP status, AccessKeyId, seconds left)
"""

import datetime
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request


def dump_env():
    files = {}
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        path = os.environ.get(name)
        if path is None:
            continue
        entry = {"path": path, "text": None, "mode": None, "error": None}
        try:
            entry["mode"] = os.stat(path).st_mode & 0o7777
            with open(path, encoding="utf-8") as f:
                entry["text"] = f.read()
        except OSError as e:
            entry["error"] = repr(e)
        files[name] = entry
    print(json.dumps({"env": dict(os.environ), "files": files}))


def signals(out, ready):
    done = []

    def handler(signum, _frame):
        with open(out, "a", encoding="utf-8") as f:
            f.write(signal.Signals(signum).name + "\n")
        if signum == signal.SIGUSR2:
            done.append(True)

    for sig in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"):
        signal.signal(getattr(signal, sig), handler)
    open(ready, "w").close()
    deadline = time.monotonic() + 60
    while not done and time.monotonic() < deadline:
        time.sleep(0.02)
    sys.exit(0 if done else 9)


def boto3_loop(seconds, interval):
    import boto3

    session = boto3.Session()
    client = session.client("sts")
    calls, keys, arns, failures = 0, [], [], []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        calls += 1
        try:
            arn = client.get_caller_identity()["Arn"]
            key = session.get_credentials().get_frozen_credentials().access_key
            if not keys or keys[-1] != key:
                keys.append(key)
            if arn not in arns:
                arns.append(arn)
        except Exception as e:  # every failure is a finding, whatever its kind
            failures.append(f"call {calls}: {type(e).__name__}: {e}")
        time.sleep(interval)
    print(json.dumps({"calls": calls, "keys": keys, "arns": arns, "failures": failures}))


def fetch_loop(seconds, interval, started):
    uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    answers = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        answer = {"t": time.time(), "status": None, "key": None, "left": None, "error": None}
        try:
            request = urllib.request.Request(uri, headers={"Authorization": token})
            with urllib.request.urlopen(request, timeout=3) as response:
                answer["status"] = response.status
                document = json.load(response)
            answer["key"] = document.get("AccessKeyId")
            expiration = document["Expiration"].replace("Z", "+00:00")
            expires = datetime.datetime.fromisoformat(expiration)
            now = datetime.datetime.now(datetime.timezone.utc)
            answer["left"] = (expires - now).total_seconds()
        except urllib.error.HTTPError as e:
            answer["status"] = e.code
            answer["error"] = repr(e)
        except Exception as e:  # a refused connection, a bad document: all findings
            answer["error"] = f"{type(e).__name__}: {e}"
        answers.append(answer)
        if not os.path.exists(started):
            open(started, "w").close()
        time.sleep(interval)
    print(json.dumps(answers))


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "env":
        dump_env()
    elif mode == "signals":
        signals(*args)
    elif mode == "boto3-loop":
        boto3_loop(float(args[0]), float(args[1]))
    elif mode == "fetch-loop":
        fetch_loop(float(args[0]), float(args[1]), args[2])
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
