#!/usr/bin/env python3
"""A local AWS (moto) server with IAM authentication enforced, for live-verification tests.

Starts moto's server on 127.0.0.1 (a random free port unless --port is given), creates an IAM
user and an access key for it through moto's IAM API (the only unauthenticated requests it
allows: moto's INITIAL_NO_AUTH_ACTION_COUNT is set to exactly those two calls), then prints one
JSON line on stdout:

  {"endpoint": "http://127.0.0.1:PORT", "access_key_id": "...", "secret_access_key": "...",
   "account": "123456789012", "arn": "arn:aws:iam::123456789012:user/NAME"}

From then on every request must be signed with a key moto knows: sts:GetCallerIdentity signed
with the printed key returns the printed ARN; signed with any other key id it fails with
InvalidClientTokenId, and with a wrong secret with SignatureDoesNotMatch.

It serves until its stdin reaches end of file (so it dies with the process that started it
with a pipe) or until SIGTERM/SIGINT; --until-killed ignores stdin.

usage: moto_server.py [--port N] [--user NAME] [--pidfile FILE] [--until-killed]

Needs `pip install 'moto[server]' boto3`; exits with status 3 when they cannot be imported.
Server logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading

sys.dont_write_bytecode = True

# The unauthenticated IAM calls this script makes before authentication is enforced:
# CreateUser and CreateAccessKey. Read by moto.settings at import time.
NO_AUTH_CALLS = 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--user", default="blobhound-verify", help="IAM user name")
    parser.add_argument("--pidfile", help="write this process's id here")
    parser.add_argument("--until-killed", action="store_true",
                        help="serve until SIGTERM/SIGINT, not until stdin closes")
    args = parser.parse_args()

    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(NO_AUTH_CALLS)
    # The unauthenticated setup calls are signed with these (moto ignores them while it
    # does not enforce authentication); keep the caller's real AWS configuration out of it.
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                 "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ.pop(name, None)
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    try:
        import boto3
        from botocore.config import Config
        from moto import settings
        from moto.server import ThreadedMotoServer
    except ImportError as e:
        print(f"moto_server.py: {e}; install with: python3 -m pip install 'moto[server]' boto3",
              file=sys.stderr)
        return 3

    if settings.INITIAL_NO_AUTH_ACTION_COUNT != NO_AUTH_CALLS:
        print("moto_server.py: moto was imported before INITIAL_NO_AUTH_ACTION_COUNT was set",
              file=sys.stderr)
        return 1

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write(f"{os.getpid()}\n")

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"

    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIAMOTOSETUPNOAUTH0",
        aws_secret_access_key="moto-setup-calls-are-not-authenticated",
        config=Config(retries={"max_attempts": 1}),
    )
    user = iam.create_user(UserName=args.user)["User"]
    key = iam.create_access_key(UserName=args.user)["AccessKey"]
    arn = user["Arn"]
    print(json.dumps({
        "endpoint": endpoint,
        "access_key_id": key["AccessKeyId"],
        "secret_access_key": key["SecretAccessKey"],
        "account": arn.split(":")[4],
        "arn": arn,
    }), flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    if not args.until_killed:
        def watch_stdin() -> None:
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except OSError:
                pass
            done.set()
        threading.Thread(target=watch_stdin, daemon=True).start()
    while not done.wait(3600):
        pass
    return 0  # the server thread is a daemon thread: it ends with the process


if __name__ == "__main__":
    sys.exit(main())
