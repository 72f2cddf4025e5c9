"""Golden outputs of every transform, recipe and the per-call protocol, as digests.

Pins byte-identical behaviour across refactors (performance work on the per-step path): the
same seed must give the same params, the same perturbed objects and the same observations.
``tests/perturb/golden_digests.json`` holds one SHA-256 per case group;
``python -m tests.perturb.golden --write`` regenerates it after an *intended* change, and
``python -m tests.perturb.golden --dump DIR`` writes the full JSON of each group for diffing.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from agentgym.errors import ToolError
from agentgym.perturb import EpisodePerturbation, PerturbContext, ToolResponse, load_recipe
from agentgym.perturb.base import SEVERITIES, replay
from agentgym.perturb.recipe import recipes_dir
from agentgym.perturb.registry import registry
from agentgym.perturb.samples import OUTPUTS, SYSTEM, TOOLS, USER
from agentgym.types import Observation, ToolCall, ToolSpec

DIGESTS = Path(__file__).with_name("golden_digests.json")
SEEDS = range(12)
EP_SEEDS = range(40)
CALL_INDICES = (0, 1, 2, 3, 5, 8, 13, 101, 12345)

EDITOR_VIEW = "\n".join(
    f"{i:6}\t{line}"
    for i, line in enumerate(
        [
            "import os",
            "from setuptools import setup, find_packages",
            "",
            "# ERROR handling: see docs/errors.md (version 1.2.3)",
            "setup(",
            '    name="dates",',
            "    version=os.environ.get('VERSION', '0.1.0'),",
            "    packages=find_packages(exclude=['tests', 'tests.*']),",
            ")",
            "warning: passed | ok | 3.5 | src/a/b.py::test_x FAILED",
        ],
        1,
    )
)
TEXTS = [
    *OUTPUTS,
    EDITOR_VIEW,
    "\x1b[31merror\x1b[0m: already coloured 12 src/x.py",
    "a | b \\ c\n|x|\\|y",
    '[{"a": 1, "b": "x|y"}, {"a": 2, "c": null}]',
    json.dumps({"a": {"b": [1, 2]}, "c": "d"}, indent=2),
    "[1, 2, 3]",
    "WARNING: 3 tests passed, ok 1.5s in ./src/x.py; Error at /abs/path.py:7 (0.25)",
    "héllo wörld → 42 ✓\n\n  indented\ttab",
    "tests/test_a.py::test_one PASSED\ntests/test_a.py::test_two FAILED\nsrc/a.py\nsrc/b.py",
    "a\nb\n",
    "x" * 5000,
    "\n".join(f"./pkg/mod{i}.py:{i}:{i % 7}: E501 line too long" for i in range(45)),
    # colour spans next to paths and numbers (lookbehinds at the span boundaries)
    "Error/src/a.py:12 FAILED/x 3.5ok 7 warning/b/c 10/20 passed2 /abs/p/q.py:9",
    "ERROR 1/2/3 WARN ./a/b.txt:4: OK.5 error.7 Traceback/9",
    "error/src/a.py",
]
SYSTEM_PLAIN = (
    "You are a coding agent. You must never delete tests. Always run the tests.\n\n"
    "- use bash\n- use editor\n\n__Note__: call submit when done. Do not guess."
)
USER_PLAIN = (
    "Fix it.\n\n    code block\n\nThe `bash` tool and the editor tool: use them; path=/a/b.py"
)


def _default_specs() -> list[ToolSpec]:
    from agentgym.tools import default_tools

    return [t.spec for t in default_tools()]


def _tool_sets() -> list[list[ToolSpec]]:
    return [list(TOOLS), _default_specs(), list(TOOLS[:2]), []]


def _dump(obj: Any) -> Any:
    if isinstance(obj, list):
        return [_dump(o) for o in obj]
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    return obj


def _calls(tools: list[ToolSpec]) -> list[ToolCall]:
    """Real calls of every tool: required arguments, all arguments, and an unknown argument."""
    out = []
    for t in tools:
        properties = list(t.parameters.get("properties") or {})
        required = list(t.parameters.get("required") or [])
        enum = (t.parameters.get("properties") or {}).get("command", {}).get("enum")
        value = enum[0] if enum else "ls -la"
        out.append(ToolCall(id="r", name=t.name, arguments={k: value for k in required}))
        out.append(ToolCall(id="a", name=t.name, arguments={k: f"v_{k}" for k in properties}))
        out.append(ToolCall(id="u", name=t.name, arguments={"zzz_unknown": 1}))
    return out


def transform_cases() -> Iterator[tuple[str, Any]]:
    """Every transform x severity: sampled params and the resulting surfaces, per seed."""
    for name, cls in registry.items():
        for severity in SEVERITIES:
            t = cls(p=1.0, severity=severity)
            rows: list[Any] = []
            legacy: list[Any] = []  # params without "version": the per-call Generators
            for seed in SEEDS:
                rng = np.random.default_rng(seed)
                for k, tools in enumerate(_tool_sets()):
                    for system, user in ((SYSTEM, USER), (SYSTEM_PLAIN, USER_PLAIN), ("", "")):
                        ctx = PerturbContext(tools=list(tools), system=system, user=user)
                        recs = t.sample(rng, ctx)
                        row: dict[str, Any] = {
                            "k": k,
                            "records": _dump(recs),
                            "tools": _dump(ctx.tools),
                            "system": ctx.system,
                            "user": ctx.user,
                            "chat": _dump(ctx.chat_format),
                        }
                        if cls.target == "tools" and recs:
                            params = recs[0].params
                            fwd, inv = [], []
                            for call in _calls(tools):
                                f = t.forward_call(call, params)
                                fwd.append(_dump(f))
                                try:
                                    inv.append(_dump(t.invert_call(f, params)))
                                except ToolError as exc:
                                    inv.append(["error", type(exc).__name__, str(exc)])
                            row["forward"], row["invert"] = fwd, inv
                        rows.append(row)
                        if cls.target == "tool_response":
                            rows.append(_response_rows(t, recs[0].params))
                            if "version" in recs[0].params:  # records from before the version
                                v1 = {k: v for k, v in recs[0].params.items() if k != "version"}
                                legacy.append(_response_rows(t, v1))
                            break  # the response transforms ignore the context
                    if cls.target == "tool_response":
                        break
            yield f"transform/{name}/{severity}", rows
            if legacy:
                yield f"transform/{name}/{severity}/v1", legacy


def _response_rows(t: Any, params: dict[str, Any]) -> list[Any]:
    rows = []
    for text in TEXTS:
        for index in CALL_INDICES:
            for is_error in (False, True) if index < 2 else (False,):
                obj = ToolResponse(
                    text=text, tool_name="editor", call_index=index, is_error=is_error
                )
                out = t.apply(obj, params)
                row: list[Any] = [out.model_dump(mode="json")]
                if getattr(t, "lossless", False):
                    row.append(t.restore(out, params))
                rows.append(row)
    if hasattr(t, "fails"):  # the transient error's decision, asked before a call runs
        rows.append([[t.fails(i, params), t.notice(i, params)] for i in range(300)])
    return rows


def recipe_cases() -> Iterator[tuple[str, Any]]:
    """Every recipe: the episode (records, surfaces, responses) and the call protocol."""
    for path in sorted(recipes_dir().glob("*.yaml")):
        recipe = load_recipe(path)
        for k, base in enumerate(_tool_sets()[:2]):
            rows = []
            for seed in EP_SEEDS:
                ep = EpisodePerturbation.sample(recipe, seed, tools=base, system=SYSTEM, user=USER)
                tools = _below(ep, base)
                row: dict[str, Any] = {
                    "records": ep.to_json(),
                    "summary": ep.summary(),
                    "tools": _dump(ep.tools(tools)),
                    "opening": list(ep.opening(SYSTEM, USER)),
                    "system": ep.system(SYSTEM_PLAIN),
                    "user": ep.user(USER_PLAIN),
                    "chat": _dump(ep.chat_options()),
                    "family": ep.chat_format("qwen3"),
                    "responses": [
                        ep.tool_response(text, "bash", index)
                        for text in TEXTS
                        for index in CALL_INDICES[:4]
                    ],
                }
                replayed = EpisodePerturbation(ep.records)
                row["replay_tools"] = _dump(replayed.tools(tools))
                row["replay_response"] = replay(
                    ep.records, ToolResponse(text=TEXTS[0], call_index=3)
                ).text
                row["protocol"] = _protocol(ep, tools)
                rows.append(row)
            yield f"recipe/{path.stem}/{k}", rows


def _below(ep: EpisodePerturbation, tools: list[ToolSpec]) -> list[ToolSpec]:
    """The tools the recipe's tool transforms apply to, as ``PerturbedEnv`` passes them: a
    scaffold's own tools when the episode runs in one, else ``tools``."""
    from agentgym.data.perturb import _scaffold

    runtime = _scaffold(ep)
    return tools if runtime is None else [t.spec for t in runtime.tools]


def _protocol(ep: EpisodePerturbation, tools: list[ToolSpec]) -> list[Any]:
    """Drive ``ep.call`` the way an agent would: perturbed names, retries, old names, strays."""
    ran: list[Any] = []

    def execute(real: ToolCall) -> Observation:
        ran.append(_dump(real))
        text = TEXTS[len(ran) % len(TEXTS)]
        return Observation(content=text, is_error=len(ran) % 5 == 0, metadata={"n": len(ran)})

    shown = [t.name for t in ep.tools(tools)]
    calls = [ep.forward_call(c) for c in _calls(tools)] * 2
    calls += [ToolCall(id="s", name=n, arguments={}) for n in shown]
    calls += [ToolCall(id="o", name=t.name, arguments={"command": "x"}) for t in tools]
    calls.append(ToolCall(id="n", name="no_such_tool", arguments={}))
    out = []
    for call in calls:
        for _attempt in range(3):
            obs = ep.call(call, execute)
            out.append([_dump(obs), len(ran)])
            if obs.metadata.get("perturbation") != "transient_error":
                break
    out.append(ran)
    return out


def env_episodes() -> list[Any]:
    """Whole PerturbedEnv episodes (local backend): observations, info, rewards, events."""
    from agentgym.env import CodingEnv, envs_root
    from agentgym.perturb import EpisodePerturbation
    from agentgym.perturb.env import PerturbedEnv
    from agentgym.perturb.recipe import recipes_dir
    from agentgym.tasks import load_tasks
    from agentgym.types import PerturbationRecord, ToolCall

    task = sorted(load_tasks(envs_root() / "bugfix"), key=lambda t: t.id)[0]
    opts = {"backend": "local", "monitor": False, "grade": False, "max_turns": 100}
    real = [
        ToolCall(id="a", name="bash", arguments={"command": "git ls-files | head -5"}),
        ToolCall(id="b", name="editor", arguments={"command": "view", "path": "setup.py"}),
        ToolCall(id="c", name="search", arguments={"pattern": "setup", "path": "setup.py"}),
        ToolCall(id="d", name="bash", arguments={"command": "echo done; exit 3"}),
    ]
    out = []
    for recipe in ("light", "heavy", "scaffold-shift"):
        env = PerturbedEnv(CodingEnv([task], **opts), recipes_dir() / f"{recipe}.yaml", seed=7)
        for seed in range(3):
            obs, info = env.reset(seed=seed)
            info = {k: v for k, v in info.items() if k not in ("timings", "backend")}
            ep = EpisodePerturbation([PerturbationRecord(**r) for r in info["perturbations"]])
            steps = []
            for call in [*real, *real]:
                action = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [ep.forward_call(call).to_openai()],
                }
                o, reward, term, trunc, step_info = env.step(action)
                events = step_info.get("perturbation_events")
                steps.append([o, reward, term, trunc, events])
            out.append([obs, info, steps])
        env.close()
    return out


def cases() -> Iterator[tuple[str, Any]]:
    yield from transform_cases()
    yield from recipe_cases()


def digest(payload: Any) -> str:
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def compute(env: bool = True) -> dict[str, str]:
    out = {name: digest(payload) for name, payload in cases()}
    if env:
        out["env/episodes"] = digest(env_episodes())
    return out


if __name__ == "__main__":
    if "--write" in sys.argv:
        DIGESTS.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {DIGESTS}")
    elif "--dump" in sys.argv:
        out = Path(sys.argv[sys.argv.index("--dump") + 1])
        out.mkdir(parents=True, exist_ok=True)
        for name, payload in cases():
            (out / (name.replace("/", "__") + ".json")).write_text(
                json.dumps(payload, sort_keys=True, ensure_ascii=False, indent=1)
            )
        print(f"dumped to {out}")
    else:
        want = json.loads(DIGESTS.read_text())
        got = compute()
        bad = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
        print("\n".join(bad) or f"all {len(got)} groups match")
