"""Envs of one process share the tasks of an unchanged folder; any edit is seen."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from agentgym.tasks import load_tasks, shared_tasks

PACK = Path(__file__).resolve().parents[2] / "envs" / "bugfix"


def copy_pack(tmp_path: Path) -> Path:
    (tmp_path / "_sources").symlink_to(PACK.parent / "_sources")
    shutil.copytree(PACK, tmp_path / "pack")
    return tmp_path / "pack"


def test_same_objects_for_an_unchanged_folder(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path)
    first, second = shared_tasks(pack), shared_tasks(pack)
    assert [t.id for t in first] == [t.id for t in load_tasks(pack)]
    assert all(a is b for a, b in zip(first, second, strict=True))
    first.pop()  # the list is the caller's own
    assert len(shared_tasks(pack)) == len(second)


def test_an_edit_is_loaded_again(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path)
    before = shared_tasks(pack)
    target = before[0]
    instruction = Path(target.path) / "instruction.md"
    instruction.write_text("edited: " + instruction.read_text())
    st = instruction.stat()
    os.utime(instruction, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    after = {t.id: t for t in shared_tasks(pack)}
    assert after[target.id].instruction.startswith("edited: ")
    assert after[target.id] is not target


def test_envs_hold_one_copy_of_the_tasks() -> None:
    from agentgym.env import CodingEnv

    a, b = CodingEnv(PACK, backend="local"), CodingEnv(str(PACK), backend="local")
    assert a.tasks[0] is b.tasks[0]
    a.close()
    b.close()
