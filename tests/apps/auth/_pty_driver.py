"""Runs a command in a pseudo-terminal and answers its prompts, as a person at a terminal would.

Usage: python3 _pty_driver.py  (reads a JSON request on standard input)

  {"argv": [...], "cwd": "...", "env": {...}, "timeout": 60,
   "steps": [{"expect": "Password: ", "send": "s3cret\\r"}, ...]}

Each step waits until `expect` appears in what the terminal shows (after the previous step's
match), then types `send`. After the last step it reads until the command ends. It prints a
JSON result: {"transcript": everything the terminal showed, "code": the exit code,
"timeout": true when a prompt or the end did not come in time, "pending": the step waited for}.
The terminal echoes typed text as a real one does, so text typed while echo is on (an answer to
a plain question) is in the transcript, and text typed while echo is off (a password) is not.
"""

import json
import os
import pty
import select
import signal
import sys
import time


def main():
    request = json.load(sys.stdin)
    deadline = time.monotonic() + request.get("timeout", 60)
    env = dict(os.environ)
    env.update(request.get("env", {}))
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(request["cwd"])
        os.execvpe(request["argv"][0], request["argv"], env)

    shown = b""
    searched_from = 0
    result = {"transcript": "", "code": None, "timeout": False}

    def read_some(wait):
        nonlocal shown
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the command ended and closed the terminal
            return False
        if not data:
            return False
        shown += data
        return True

    open_ = True
    for index, step in enumerate(request.get("steps", [])):
        expect = step["expect"].encode()
        while open_ and shown.find(expect, searched_from) < 0:
            if time.monotonic() > deadline:
                result["timeout"] = True
                result["pending"] = index
                break
            open_ = read_some(0.1)
        if result["timeout"] or shown.find(expect, searched_from) < 0:
            result["pending"] = index
            result["timeout"] = result["timeout"] or not open_
            break
        searched_from = shown.find(expect, searched_from) + len(expect)
        # Ctrl-C is typed as "\x03": the terminal turns it into SIGINT, as for a person.
        os.write(fd, step["send"].encode())

    while open_ and not result["timeout"]:
        if time.monotonic() > deadline:
            result["timeout"] = True
            break
        open_ = read_some(0.1)

    if result["timeout"]:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    result["code"] = os.waitstatus_to_exitcode(status)
    result["transcript"] = shown.decode("utf-8", "replace")
    json.dump(result, sys.stdout)


main()
