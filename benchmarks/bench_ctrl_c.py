"""How long a command takes to stop after Ctrl-C: start it, wait, send SIGINT, time its exit.

    python benchmarks/bench_ctrl_c.py 15 rasplab distill reverse --timeout 60 -o /tmp/d

The command starts with SIGINT at its default action (a shell's `cmd &` would start it with
SIGINT ignored, and nothing would be measured). Prints the exit status, the seconds from the
signal to the exit, and the command's last lines.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time


def time_interrupt(delay: float, argv: list[str]) -> tuple[int, float, str]:
    """(exit status, seconds from SIGINT to exit, combined output) of `argv` interrupted after
    `delay` seconds."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(delay)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate()
    return proc.returncode, time.perf_counter() - sent, out


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    code, seconds, out = time_interrupt(float(sys.argv[1]), sys.argv[2:])
    print(f"exit {code}, stopped {seconds:.2f} s after SIGINT")
    print("\n".join(out.strip().splitlines()[-3:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
