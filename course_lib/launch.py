"""Running ``torchrun`` jobs from Python: free ports, time limits, no orphans, errors that explain.

The course never launches distributed workers itself: ``torchrun`` (torch.distributed.elastic) does.
This module only starts one or more ``torchrun`` commands as subprocesses -- e.g. two launchers that
act as two machines -- waits for them with a deadline, and cleans up: every process of the job,
``torchrun`` and the workers it started in their own sessions, is gone when :func:`run_job` returns,
whether the job succeeded, failed or ran out of time.

>>> cmd = torchrun_command(["-m", "course_lib.ddp_train", "--epochs", "1"], nproc=2)
>>> cmd[1:4]
['-m', 'torch.distributed.run', '--standalone']
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

JOB_VARIABLE = "COURSE_JOB_ID"  # set in every process of a job: how leftovers are found and stopped


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def torchrun_command(script: list[str], *, nproc: int = 1, nnodes: int = 1, endpoint: str | None = None,
                     max_restarts: int = 0, job_id: str = "course", join_timeout: float = 60.0,
                     python: str = sys.executable) -> list[str]:
    """The ``torchrun`` command line (as ``python -m torch.distributed.run``) for one node.

    One node alone (``nnodes=1`` and no ``endpoint``): ``--standalone``. Several nodes: the c10d
    rendezvous at ``endpoint`` (``HOST:PORT``); run the same command on every node. ``join_timeout``
    is how long a node waits for the others before giving up with an error.
    """
    cmd = [python, "-m", "torch.distributed.run"]
    if nnodes == 1 and endpoint is None:
        cmd.append("--standalone")
    else:
        if endpoint is None:
            raise ValueError("several nodes need a rendezvous endpoint HOST:PORT")
        cmd += [f"--nnodes={nnodes}", "--rdzv-backend=c10d", f"--rdzv-endpoint={endpoint}",
                f"--rdzv-id={job_id}", f"--rdzv-conf=join_timeout={join_timeout:g}"]
    cmd += [f"--nproc-per-node={nproc}", f"--max-restarts={max_restarts}"]
    return cmd + list(script)


@dataclass
class NodeResult:
    """One launcher's exit code and output."""

    returncode: int
    output: str


@dataclass
class JobResult:
    """What :func:`run_job` saw: one :class:`NodeResult` per command, the wall time, and whether the
    deadline was hit."""

    nodes: list[NodeResult]
    seconds: float
    timed_out: bool = False
    leftovers_killed: int = 0
    job_id: str = ""

    @property
    def ok(self) -> bool:
        return not self.timed_out and all(n.returncode == 0 for n in self.nodes)


def run_job(commands: list[list[str]], *, timeout: float, env: dict[str, str] | None = None,
            stagger: float = 0.0) -> JobResult:
    """Start every command (e.g. one ``torchrun`` per simulated node), wait at most ``timeout`` s.

    When the deadline passes, the launchers get SIGTERM (``torchrun`` then stops its workers), and
    whatever is still alive 10 s later gets SIGKILL. Finally any process still carrying this job's
    id is killed, so nothing outlives the call.
    """
    job = uuid.uuid4().hex
    env = {**(os.environ if env is None else env), JOB_VARIABLE: job}
    logs = [tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") for _ in commands]
    start = time.perf_counter()
    procs = []
    try:
        for cmd, log in zip(commands, logs):
            procs.append(subprocess.Popen(tied_to_parent(cmd), stdout=log, stderr=subprocess.STDOUT, env=env,
                                          start_new_session=True))
            time.sleep(stagger)
        deadline = start + timeout
        while time.perf_counter() < deadline and any(p.poll() is None for p in procs):
            time.sleep(0.1)
        timed_out = any(p.poll() is None for p in procs)
        if timed_out:
            _stop(procs)
    finally:
        _stop(procs)
        killed = kill_job_leftovers(job)
    nodes = []
    for proc, log in zip(procs, logs):
        log.seek(0)
        nodes.append(NodeResult(proc.returncode if proc.returncode is not None else -9, log.read()))
        log.close()
    return JobResult(nodes, time.perf_counter() - start, timed_out, killed, job)


def tied_to_parent(cmd: list[str]) -> list[str]:
    """``cmd`` arranged to get SIGTERM when the process that starts it dies — a Jupyter kernel restarted or
    killed mid-job, an nbval timeout — so no launcher (and, through it, no worker) is left running
    unseen. On Linux through util-linux's ``setpriv --pdeathsig``; elsewhere (or without setpriv)
    unchanged, and only :func:`run_job`'s own cleanup applies.

    >>> tied_to_parent(["torchrun", "x.py"])[-2:]
    ['torchrun', 'x.py']
    """
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return [setpriv, "--pdeathsig", "TERM", "--", *cmd] if setpriv else list(cmd)


def _stop(procs: list[subprocess.Popen], grace: float = 10.0) -> None:
    alive = [p for p in procs if p.poll() is None]
    for p in alive:
        _signal_group(p.pid, signal.SIGTERM)
    end = time.perf_counter() + grace
    while time.perf_counter() < end and any(p.poll() is None for p in alive):
        time.sleep(0.1)
    for p in alive:
        if p.poll() is None:
            _signal_group(p.pid, signal.SIGKILL)
            p.wait()


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # the launcher's own session: itself and anything it did not detach
    except (ProcessLookupError, PermissionError):
        pass


def job_processes(job: str) -> list[int]:
    """PIDs of live processes whose environment carries ``COURSE_JOB_ID=job`` (Linux: /proc)."""
    found = []
    marker = f"{JOB_VARIABLE}={job}".encode()
    for entry in Path("/proc").glob("[0-9]*") if Path("/proc").is_dir() else []:
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                status = (entry / "status").read_text()
                if "State:\tZ" not in status:  # a zombie is already dead, waiting for its parent
                    found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


def kill_job_leftovers(job: str) -> int:
    """SIGKILL every process of the job that is still alive; return how many there were."""
    pids = job_processes(job)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(pids)


_EXPLANATIONS = [
    (r"RendezvousTimeoutError|RendezvousConnectionError|connection to the C10d store has failed",
     "this node could not complete the rendezvous at {endpoint}: the other node(s) never joined, or the "
     "endpoint cannot be reached. Start every node with the same --rdzv-endpoint and --rdzv-id; the "
     "endpoint must be the address of a node of the job that the others can reach (not 127.0.0.1 across "
     "machines) and its port open in the firewall."),
    (r"EADDRINUSE|address already in use",
     "the rendezvous port at {endpoint} is already taken by another program: pick a free port."),
    (r"must be divisible by the \d+ processes", "the global batch does not split evenly over the workers."),
    (r"exitcode\s*:\s*-9|exitcode: -9|Signal 9 \(SIGKILL\)",
     "a worker was killed with SIGKILL (out of memory, or killed on purpose) and no restarts were left "
     "(--max-restarts)."),
]


def explain(output: str, endpoint: str = "the endpoint") -> str | None:
    """One sentence on why a ``torchrun`` job failed, from its output; ``None`` when unknown.

    >>> explain("... RendezvousTimeoutError ...", "10.0.0.1:29400").split(":")[0]
    'this node could not complete the rendezvous at 10.0.0.1'
    """
    for pattern, text in _EXPLANATIONS:
        if re.search(pattern, output, re.I):
            return text.format(endpoint=endpoint)
    return None


_LAUNCHER_LOG = re.compile(r"^[WIE]\d{4} [\d:.]+ +\d+ \S+\] ?(.*)$")


#: The exception line of a worker's traceback, as torchrun prefixes it: ``[rank1]: ValueError: ...``.
_RANK_ERROR = re.compile(r"^\[rank(\d+)\]:\s*((?:[A-Za-z_][\w.]*)?(?:Error|Exception|Exit|Interrupt)\b.*)$")


def readable(output: str) -> str:
    """The part of a ``torchrun`` log a person wants to read: the workers' own lines, one line per
    worker failure the launcher reported, and the **last exception line of each rank** whose traceback
    was printed (``rank 1: ValueError: the learning rate must be positive``) — the root cause. The rest of
    the tracebacks, launcher warnings and gloo's retry chatter are left out.

    >>> print(readable("epoch 1: loss 2.3\\n[rank1]: Traceback (most recent call last):\\n"
    ...                "[rank1]:   File \\"x.py\\", line 3, in <module>\\n"
    ...                "[rank1]: ValueError: the learning rate must be positive\\n"
    ...                "E1130 12:37:09.230000 11938 api.py:1002] failed (exitcode: 1) local_rank: 1 "
    ...                "(pid: 7)"))
    epoch 1: loss 2.3
    torchrun: worker failed (exitcode: 1) local_rank: 1 (pid: 7)
    rank 1: ValueError: the learning rate must be positive
    """
    keep, errors = [], {}
    for line in output.splitlines():
        launcher = _LAUNCHER_LOG.match(line)
        if launcher:
            if "exitcode" in line:
                keep.append("torchrun: worker " + launcher.group(1).strip())
            continue
        error = _RANK_ERROR.match(line)
        if error:
            errors[int(error.group(1))] = error.group(2).strip()  # the last one of each rank wins
            continue
        if line.startswith(("[rank", "[/", "[E", "[W", "Traceback", "  ")) or not line.strip():
            continue
        keep.append(line)
    keep += [f"rank {rank}: {message}" for rank, message in sorted(errors.items())]
    return "\n".join(keep)
