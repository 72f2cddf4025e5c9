"""The base image carries the tools agents reach for (docs/sandbox.md lists them), and
network denial is real: the tools exist and fail for want of a network, not a binary."""

from __future__ import annotations

import pytest

from agentgym.sandbox import SandboxConfig
from agentgym.sandbox.docker import DockerSandbox
from agentgym.sandbox.images import BASE_PACKAGES

pytestmark = pytest.mark.docker

# command -> the package that provides it (every one listed in BASE_PACKAGES)
TOOLS = {
    "bash": "bash",
    "ps": "procps",
    "python3": "python3",
    "pytest": "python3-pytest",
    "git": "git",
    "patch": "patch",
    "curl": "curl",
    "wget": "wget",
    "less": "less",
    "nano": "nano",
    "vi": "vim-tiny",
    "file": "file",
    "unzip": "unzip",
    "rg": "ripgrep",
    "nslookup": "dnsutils",
    "dig": "dnsutils",
    "ip": "iproute2",
}


def test_every_listed_tool_is_in_the_base_image() -> None:
    assert set(TOOLS.values()) <= set(BASE_PACKAGES)
    with DockerSandbox(SandboxConfig(type="docker")) as sb:
        res = sb.run(" ; ".join(f"command -v {t} >/dev/null || echo MISSING {t}" for t in TOOLS))
        assert "MISSING" not in res.output, res.output
        assert sb.run("python3 -m venv /tmp/v && /tmp/v/bin/python -V").exit_code == 0
        assert sb.run("ls /etc/ssl/certs | head -1").output.strip()  # ca-certificates


def test_network_tools_fail_for_want_of_a_network() -> None:
    with DockerSandbox(SandboxConfig(type="docker")) as sb:
        curl = sb.run("curl -sS -m 5 https://pypi.org/simple/ 2>&1; echo rc=$?")
        assert "rc=0" not in curl.output and "not found" not in curl.output, curl.output
        dns = sb.run("nslookup -timeout=2 -retry=0 pypi.org 2>&1; echo rc=$?")
        assert "rc=0" not in dns.output and "not found" not in dns.output, dns.output
        assert sb.run("ip -o link | cut -d: -f2 | tr -d ' '").output.split() == ["lo"]
