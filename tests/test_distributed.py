"""Outgrowing one machine, for real processes on 127.0.0.1: two torchrun launchers forming one job,
a worker killed with SIGKILL and the job finishing with the same weights, a damaged checkpoint
skipped, FSDP2 against DDP, an unreachable rendezvous, and no process left behind.

Every job runs through ``course_lib.launch.run_job`` (time limit, cleanup) on free ports.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from pathlib import Path

import pytest
import torch

from course_lib import ddp_train, launch
from course_lib.checkpoint import load_checkpoint, step_checkpoints
from course_lib.device import supports

if sys.platform == "win32":  # torchrun's TCP store needs USE_LIBUV=0 there; not what this CI runs
    pytest.skip("process tests run on Linux/macOS", allow_module_level=True)

# 384 images, global batch 64: 6 steps per epoch, 12 in all; a checkpoint every 3 steps.
ARGS = ["--epochs", "2", "--samples", "384", "--batch-size", "64", "--device", "cpu", "--lr", "0.05"]
SCRIPT = ["-m", "course_lib.ddp_train", *ARGS]
LIMIT = 180  # seconds per job: generous for a loaded 2-core machine, far below a hang


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    data = os.environ.get("COURSE_DATA_DIR") or str(tmp_path_factory.mktemp("data"))
    root = str(Path(__file__).resolve().parents[1])
    return {**os.environ, "OMP_NUM_THREADS": "1", "COURSE_DATA_DIR": data,
            "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}


def run(commands, env, timeout=LIMIT):
    result = launch.run_job(commands, timeout=timeout, env=env)
    assert result.leftovers_killed == 0 or not result.ok, "a finished job left processes behind"
    return result


def weights(path) -> dict[str, torch.Tensor]:
    return load_checkpoint(path)["model"]


def bitwise_equal(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory, env):
    """Two torchrun launchers (1 worker each) meeting at a c10d rendezvous on 127.0.0.1: one job."""
    out = tmp_path_factory.mktemp("multinode") / "two_nodes.pt"
    endpoint = f"127.0.0.1:{launch.free_port()}"
    node = launch.torchrun_command([*SCRIPT, "--out", str(out)], nnodes=2, endpoint=endpoint,
                                   job_id="test-two-nodes", join_timeout=60)
    result = run([node, node], env)
    assert result.ok, "\n".join(n.output[-2000:] for n in result.nodes)
    return out, result


def test_two_launchers_form_one_job_that_equals_one_process(two_nodes, tmp_path, env):
    out, result = two_nodes
    saved = load_checkpoint(out)["extra"]
    assert saved["world_size"] == 2 and saved["backend"] == "gloo" and saved["steps"] == 12
    one = tmp_path / "one.pt"
    single = run([[sys.executable, *SCRIPT, "--out", str(one)]], env)
    assert single.ok, single.nodes[0].output[-2000:]
    a, b = weights(one), weights(out)
    diff = max((a[k] - b[k]).abs().max().item() for k in a)
    assert diff <= 1e-4, f"2 nodes x 1 worker differ from 1 process by {diff}"


def test_a_killed_worker_restarts_and_ends_with_bitwise_the_same_weights(two_nodes, tmp_path, env):
    reference, _ = two_nodes

    def killed_job(attempt: int):
        out, ckpt = tmp_path / f"killed{attempt}.pt", tmp_path / f"ckpt{attempt}"
        job = launch.torchrun_command([*SCRIPT, "--ckpt-dir", str(ckpt), "--ckpt-every", "3",
                                       "--kill-at-step", "8", "--kill-rank", "1", "--out", str(out)],
                                      nproc=2, max_restarts=1)
        return out, run([job], env)

    out, result = killed_job(0)
    if result.timed_out and "epoch 2: loss" in result.nodes[0].output:
        # Seen once (CI floor lane, torch 2.4.1, one thread beside another lane, 2026-12-08): the restarted
        # job trained to its last epoch, then hung in teardown until the deadline; alone it passes. A hang
        # after the last epoch gets one more try, said aloud; a second hang, or any other failure, fails.
        warnings.warn(f"the restarted job hung after its last epoch ({result.seconds:.0f} s); one more try",
                      stacklevel=1)
        out, result = killed_job(1)
    log = result.nodes[0].output
    assert result.ok, log[-3000:]
    assert "SIGKILL at step 8" in log and "exitcode: -9" in log  # the worker really died ...
    assert "resumed from step_00000006.pt: step 6" in log and "(restart 1)" in log  # ... and came back
    extra = load_checkpoint(out)["extra"]
    assert extra["restarts"] == 1 and extra["resumed_from"] == "step_00000006.pt"
    assert bitwise_equal(weights(out), weights(reference)), "the restarted run ended with other weights"
    # Equal weights alone would also come from a restart at step 0 (the job is deterministic); the log says it
    # resumed at step 6. After the restart, epoch 1's loss comes from the sums carried through that
    # checkpoint: the loss history must equal the uninterrupted run's to the bit.
    assert extra["losses"] == load_checkpoint(reference)["extra"]["losses"]


def test_without_restarts_the_kill_fails_and_a_damaged_checkpoint_is_skipped(two_nodes, tmp_path, env):
    reference, _ = two_nodes
    ckpt = tmp_path / "ckpt"
    dying = launch.torchrun_command([*SCRIPT, "--ckpt-dir", str(ckpt), "--ckpt-every", "3", "--kill-at-step",
                                     "8", "--out", str(tmp_path / "never.pt")], nproc=2, max_restarts=0)
    failed = run([dying], env)
    assert not failed.ok and failed.nodes[0].returncode != 0
    assert "SIGKILL" in launch.explain(failed.nodes[0].output)
    assert [p.name for p in step_checkpoints(ckpt)] == ["step_00000006.pt", "step_00000003.pt"]
    assert not (tmp_path / "never.pt").exists()
    # Damage the newest checkpoint the way a bad disk would: one byte in the middle.
    newest = ckpt / "step_00000006.pt"
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    newest.write_bytes(bytes(data))
    out = tmp_path / "resumed.pt"
    again = launch.torchrun_command([*SCRIPT, "--ckpt-dir", str(ckpt), "--ckpt-every", "3",
                                     "--out", str(out)], nproc=2)
    result = run([again], env)
    log = result.nodes[0].output
    assert result.ok, log[-3000:]
    assert "skipping damaged checkpoint step_00000006.pt" in log and "sha256 does not match" in log
    assert "resumed from step_00000003.pt: step 3" in log  # the previous good one, not step 0
    assert bitwise_equal(weights(out), weights(reference))


def skip_unless_supported(feature: str) -> None:
    """Skip the test when this torch lacks ``feature``, saying why (``course_lib.device.supports``)."""
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        ok = supports(feature)
    if not ok:
        pytest.skip(said.getvalue().strip())


def test_fsdp2_matches_ddp_holds_half_the_parameters_and_ships(two_nodes, tmp_path, env):
    skip_unless_supported("fsdp2")
    reference, _ = two_nodes
    folder = tmp_path / "sharded"
    result = run([launch.torchrun_command([*SCRIPT, "--fsdp", "--out", str(folder)], nproc=2)], env)
    assert result.ok, result.nodes[0].output[-3000:]
    assert sorted(p.name for p in folder.glob("*.distcp")) == ["__0_0.distcp", "__1_0.distcp"]  # one per rank
    plain = tmp_path / "fsdp.pt"
    ddp_train.sharded_to_checkpoint(folder, plain)
    saved = load_checkpoint(plain)
    full = sum(t.numel() * t.element_size() for t in saved["model"].values())
    assert saved["extra"]["sharded"] and saved["extra"]["param_bytes_per_rank"] == [full // 2, full // 2]
    ref = weights(reference)
    diff = max((saved["model"][k] - ref[k]).abs().max().item() for k in ref)
    assert diff <= 1e-6, f"FSDP2 and DDP differ by {diff}"
    from course_lib.predict import load_classifier, predict_images

    model, classes, shape = load_classifier(plain)
    assert shape == (1, 28, 28) and classes == [str(d) for d in range(10)]
    x = torch.rand(3, *shape)
    ddp_model = ddp_train.build_model()
    ddp_model.load_state_dict(ref)
    got = [c for c, _ in predict_images(model, x, classes)]
    want = [classes[i] for i in ddp_model.eval()(x).argmax(1).tolist()]
    assert got == want


def test_sharded_to_checkpoint_refuses_a_folder_that_is_not_dcp(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a torch.distributed.checkpoint folder"):
        ddp_train.sharded_to_checkpoint(tmp_path, tmp_path / "x.pt")


def test_an_unreachable_rendezvous_fails_with_a_clear_message_not_a_hang(env):
    endpoint = f"127.0.0.1:{launch.free_port()}"  # nobody else will ever join this job
    lonely = launch.torchrun_command(SCRIPT, nnodes=2, endpoint=endpoint, job_id="alone", join_timeout=5)
    result = run([lonely], env, timeout=90)
    assert not result.timed_out and result.nodes[0].returncode != 0
    assert result.seconds < 60
    message = launch.explain(result.nodes[0].output, endpoint)
    assert message and endpoint in message and "rendezvous" in message


def test_a_job_past_its_deadline_is_stopped_with_all_its_workers(tmp_path, env):
    sleeper = tmp_path / "sleep_forever.py"
    sleeper.write_text("import time\nprint('worker up', flush=True)\ntime.sleep(600)\n")
    job = launch.torchrun_command([str(sleeper)], nproc=2)
    # 30 s: time for torchrun and two Pythons to start on a loaded 2-core machine (8 s was not, issue 23);
    # the workers sleep for 600 s, so the deadline is what ends the job.
    result = launch.run_job([job], timeout=30, env=env)
    assert result.timed_out and not result.ok
    assert result.seconds < 90
    assert result.nodes[0].output.count("worker up") == 2  # both workers were running when time ran out
    # Nothing of the job survives: neither torchrun nor its two workers (they run in their own sessions).
    assert launch.job_processes(result.job_id) == []


def test_free_port_and_command_line():
    port = launch.free_port()
    assert 1024 <= port < 65536
    cmd = launch.torchrun_command(["x.py"], nproc=2, nnodes=2, endpoint=f"127.0.0.1:{port}", max_restarts=3)
    assert f"--rdzv-endpoint=127.0.0.1:{port}" in cmd and "--nnodes=2" in cmd and "--max-restarts=3" in cmd
    assert "--standalone" not in cmd and cmd[-1] == "x.py"
    with pytest.raises(ValueError, match="endpoint"):
        launch.torchrun_command(["x.py"], nnodes=2)


def test_a_failed_worker_shows_its_own_error_not_only_the_launchers_summary(env):
    """Issue 23: torchrun prefixes worker tracebacks with ``[rankN]:``; the readable log kept none of it, so
    the cause (here SGD refusing a negative learning rate) was lost behind the elastic agent's summary."""
    bad = [a if a != "0.05" else "-0.1" for a in SCRIPT]
    result = run([launch.torchrun_command(bad, nproc=2)], env)
    assert not result.ok
    shown = launch.readable(result.nodes[0].output)
    assert "ValueError: Invalid learning rate: -0.1" in shown, shown
    assert "rank 0: ValueError" in shown and "rank 1: ValueError" in shown


def test_nodes_that_see_different_checkpoint_folders_agree_or_stop_together(tmp_path, env):
    """Issue 23: each rank used to resume from the newest checkpoint *it* saw. Two launchers whose
    --ckpt-dir differ (no shared folder): node A holds steps 3 and 6, node B only step 3. Rank 0 now
    chooses for everyone: either all resume from step 3 (rank 0 on B), or the rank that cannot read
    rank 0's step 6 stops every rank at once with a message naming the folder. Never a hang."""
    folder_a, folder_b = tmp_path / "a", tmp_path / "b"
    dying = launch.torchrun_command([*SCRIPT, "--ckpt-dir", str(folder_a), "--ckpt-every", "3",
                                     "--kill-at-step", "8"], nproc=2, max_restarts=0)
    assert not run([dying], env).ok
    assert [p.name for p in step_checkpoints(folder_a)] == ["step_00000006.pt", "step_00000003.pt"]
    folder_b.mkdir()
    for name in ("step_00000003.pt", "step_00000003.pt.sha256"):
        (folder_b / name).write_bytes((folder_a / name).read_bytes())
    endpoint = f"127.0.0.1:{launch.free_port()}"
    nodes = [launch.torchrun_command([*SCRIPT, "--ckpt-dir", str(folder), "--ckpt-every", "3",
                                      "--timeout", "60", "--out", str(tmp_path / "out.pt")],
                                     nnodes=2, endpoint=endpoint, job_id="test-two-folders", join_timeout=60)
             for folder in (folder_a, folder_b)]
    result = run(nodes, env, timeout=150)
    log = "\n".join(node.output for node in result.nodes)
    if result.ok:
        assert log.count("resumed from step_00000003.pt: step 3") == 1, log[-3000:]
    else:
        assert "Every node needs the same --ckpt-dir" in log and "step_00000006.pt" in log, log[-3000:]
        # Stopping together, not hanging: the job ends on its own (not at run_job's deadline), and no
        # collective waits out its 60 s timeout (gloo says "Timed out waiting 60000ms for ..."). Not a
        # search for "Timeout": when rank 0's node exits, the other launcher's teardown may print TCPStore's
        # "GetValueWithTimeout failed ... Connection was likely closed", a function name, not a timeout.
        assert not result.timed_out, f"the job hung until the deadline ({result.seconds:.0f} s)"
        assert "timed out" not in log.lower(), log[-3000:]


def _marked(marker: str) -> list[int]:
    """Live (not zombie) processes whose environment carries ``marker``."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if marker.encode() in (entry / "environ").read_bytes().split(b"\0") and \
                    "State:\tZ" not in (entry / "status").read_text():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux") or not launch.tied_to_parent(["x"])[0].endswith(
    "setpriv"), reason="parent-death signals: Linux with util-linux's setpriv")
def test_a_killed_kernel_leaves_no_launcher_behind(tmp_path, env):
    """Issue 23: launchers run in their own session and were cleaned only in run_job's `finally`; a kernel
    killed mid-job (restart, nbval timeout) left them — and their workers — running."""
    import signal
    import subprocess
    import time
    import uuid

    marker = f"COURSE_TEST_ORPHAN={uuid.uuid4().hex}"
    kernel = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from course_lib import launch\n"
        "launch.run_job([[sys.executable, '-c', 'import time; time.sleep(120)']], timeout=300)\n")],
        env={**env, marker.split("=")[0]: marker.split("=")[1]})
    try:
        deadline = time.time() + 30
        while time.time() < deadline and len(_marked(marker)) < 2:  # the "kernel" and its launcher
            time.sleep(0.2)
        assert len(_marked(marker)) >= 2, "the job did not start"
        kernel.send_signal(signal.SIGKILL)  # no finally, no atexit: as a killed kernel
        kernel.wait()
        deadline = time.time() + 15
        while time.time() < deadline and _marked(marker):
            time.sleep(0.2)
        assert not _marked(marker), "the launcher outlived the process that started it"
    finally:
        for pid in _marked(marker):
            os.kill(pid, signal.SIGKILL)
