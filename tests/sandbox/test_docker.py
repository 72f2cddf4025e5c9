"""DockerSandbox specifics: limits applied, labels, files, restart after OOM, pool."""

from __future__ import annotations

import threading
import time

import pytest

from agentgym.sandbox import SandboxConfig, SandboxLimits, SandboxPool
from agentgym.sandbox.docker import LABEL, DockerSandbox

pytestmark = pytest.mark.docker


def test_limits_and_labels_are_applied() -> None:
    limits = SandboxLimits(memory_mb=300, cpus=0.5, pids=100)
    with DockerSandbox(SandboxConfig(type="docker", limits=limits)) as sb:
        attrs = sb.container.attrs
        host = attrs["HostConfig"]
        assert host["Memory"] == 300 * 1024 * 1024
        assert host["NanoCpus"] == 500_000_000
        assert host["PidsLimit"] == 100
        assert host["NetworkMode"] == "none"
        assert host["CapDrop"] == ["ALL"] and "no-new-privileges" in host["SecurityOpt"]
        assert not host["Privileged"]
        labels = attrs["Config"]["Labels"]
        assert labels[LABEL] == "1" and labels["agentgym.owner_pid"]
        assert (
            sb.run(
                "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"
            ).output.strip()
            == "100"
        )
        # no capability to change the network or mount things
        assert sb.run("mount -t tmpfs none /mnt").exit_code != 0


def test_files_round_trip(tmp_path) -> None:
    with DockerSandbox() as sb:
        blob = bytes(range(256)) * 300  # > 48 KiB: the archive path
        sb.write_file("bin/blob", blob)
        assert sb.read_file("bin/blob") == blob
        sb.write_file("small.txt", "héllo\n")
        assert sb.read_file("/workspace/small.txt") == "héllo\n".encode()
        sb.run("printf '#!/bin/sh\\necho hi\\n' > run.sh && chmod 755 run.sh")
        sb.write_file("run.sh", "#!/bin/sh\necho changed\n")
        assert sb.run("./run.sh").output == "changed\n"  # mode kept
        with pytest.raises(FileNotFoundError):
            sb.read_file("missing.txt")
        (tmp_path / "up").mkdir()
        (tmp_path / "up" / "a.txt").write_text("A")
        sb.upload(str(tmp_path / "up"), "/workspace/uploaded")
        assert sb.run("cat uploaded/a.txt").output == "A"
        sb.download("/workspace/uploaded", str(tmp_path / "down"))
        assert (tmp_path / "down" / "a.txt").read_text() == "A"


def test_container_restart_after_oom_keeps_files() -> None:
    limits = SandboxLimits(memory_mb=128, tmpfs_mb=1024)
    with DockerSandbox(SandboxConfig(type="docker", limits=limits)) as sb:
        sb.run("echo kept > /workspace/keep")
        sb.run("head -c 900M /dev/zero > /tmp/fill", timeout=30)
        res = sb.run("cat /workspace/keep", timeout=30)
        assert res.output == "kept\n"


def test_pool_hands_out_fresh_sandboxes_concurrently() -> None:
    with SandboxPool(SandboxConfig(type="docker"), size=3) as pool:
        assert pool.wait_ready(timeout=60)
        seen: list[str] = []
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                for _ in range(2):
                    sb = pool.acquire()
                    out = sb.run(
                        "test -e /workspace/dirty && echo DIRTY; touch /workspace/dirty; hostname"
                    )
                    seen.append(out.output)
                    pool.release(sb)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors
        assert len(seen) == 8 and not any("DIRTY" in s for s in seen)
        assert len(set(seen)) == 8  # eight different containers
        assert pool.stats["warm_hits"] >= 3


def test_reset_from_pool_is_fast() -> None:
    with SandboxPool(SandboxConfig(type="docker"), size=2) as pool:
        assert pool.wait_ready(timeout=60)
        t = time.perf_counter()
        sb = pool.acquire()
        elapsed = time.perf_counter() - t
        assert sb.run("echo ok").output == "ok\n"
        pool.release(sb)
        assert elapsed < 0.5


def test_disk_limit_where_the_driver_allows_it_else_a_clear_error() -> None:
    from agentgym.errors import SandboxStartError

    limits = SandboxLimits(disk_mb=500)
    try:
        sb = DockerSandbox(SandboxConfig(type="docker", limits=limits))
    except SandboxStartError as exc:
        assert "cannot limit disk size" in str(exc) and "disk_mb=None" in str(exc)
        return
    with sb:  # the driver supports it: the container's root filesystem is capped
        res = sb.run("dd if=/dev/zero of=/fill bs=1M count=700 2>&1 | tail -1", timeout=60)
        assert "No space left" in res.output or "File too large" in res.output


def test_pool_close_right_after_release_still_removes_the_sandbox() -> None:
    # CodingEnv.close releases its sandbox and closes the pool at once: the queued close of
    # the released sandbox must not be cancelled with the pool's pending warm-ups.
    pool = SandboxPool(SandboxConfig(type="docker"), size=1)
    used = [pool.acquire() for _ in range(3)]
    for sb in used:
        pool.release(sb)
    pool.close()
    assert all(sb.closed for sb in used)


def test_pool_keeps_warm_sandboxes_for_recent_images_only() -> None:
    from agentgym.sandbox import docker_client

    tags = [
        t
        for img in docker_client().images.list(name="agentgym/base")
        for t in img.tags
        if t.startswith("agentgym/base:")
    ]
    if len(set(tags)) < 2:
        pytest.skip("needs the base image under two tags")
    a, b = sorted(set(tags))[:2]
    with SandboxPool(SandboxConfig(type="docker"), size=1, images=[], max_images=1) as pool:
        first = pool.acquire(a)
        assert pool.wait_ready(a, timeout=60)
        second = pool.acquire(b)  # a is no longer recent: its warm spare is closed
        assert pool.wait_ready(b, timeout=60)
        assert pool.ready(a) == 0 and pool.ready(b) == 1
        pool.release(first)
        pool.release(second)
