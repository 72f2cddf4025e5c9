"""Docker images built offline: the debootstrap base image and per-task images.

The base image is made with ``debootstrap --variant=minbase`` from the Debian mirror that
this machine's apt is already configured with (read at run time, never hard-coded), then
``docker import``-ed. Task images are ``docker build``s of a task's Dockerfile ``FROM`` it.
Both are tagged by a content hash, so an unchanged recipe or build context is never rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agentgym.errors import ImageBuildError

BASE_REPO = "agentgym/base"
TASK_REPO = "agentgym/task"
# What agents reach for in a shell, so tool use and network denial are real (docs/sandbox.md
# lists them). Kept small: no compilers, no docs. ``dnsutils`` gives nslookup/dig.
BASE_PACKAGES = (
    "bash",
    "coreutils",
    "procps",
    "python3",
    "python3-pytest",
    "python3-venv",
    "python-is-python3",
    "git",
    "patch",
    "mawk",
    "ca-certificates",
    "curl",
    "wget",
    "less",
    "nano",
    "vim-tiny",
    "file",
    "unzip",
    "ripgrep",
    "dnsutils",
    "iproute2",
)
BASE_RECIPE_VERSION = "3"
IMAGE_LABEL = "agentgym.image"


class ImageInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tag: str
    kind: str
    content_hash: str
    size_mb: float
    created: str


def _docker_client():  # type: ignore[no-untyped-def]
    from agentgym.sandbox._client import docker_client

    return docker_client()


def apt_mirror_and_suite() -> tuple[str, str]:
    """Find the Debian mirror and suite this machine's apt uses (deb822 or one-line sources)."""
    suite = ""
    os_release = Path("/etc/os-release")
    if os_release.exists():
        match = re.search(r"^VERSION_CODENAME=(\S+)", os_release.read_text(), re.M)
        if match:
            suite = match.group(1).strip('"')
    candidates: list[tuple[str, list[str]]] = []
    sources_dir = Path("/etc/apt/sources.list.d")
    for path in sorted(sources_dir.glob("*.sources")) if sources_dir.exists() else []:
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if ":" in line and not line.lstrip().startswith("#"):
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.strip()
            if "deb" in fields.get("types", "").split() and fields.get("uris"):
                candidates.append((fields["uris"].split()[0], fields.get("suites", "").split()))
    one_line = [Path("/etc/apt/sources.list"), *sorted(sources_dir.glob("*.list"))]
    for path in one_line:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb":
                rest = [p for p in parts[1:] if not p.startswith("[")]
                candidates.append((rest[0], rest[1:2]))
    for uri, suites in candidates:
        if "security" in uri:
            continue
        if not suite and suites:
            suite = suites[0]
        if not suites or suite in suites:
            return uri, suite
    raise ImageBuildError(
        "could not find a Debian mirror in /etc/apt/sources.list(.d); "
        "configure apt (apt-get update must work) before `agentgym image bootstrap`"
    )


def base_content_hash(suite: str, packages: tuple[str, ...] = BASE_PACKAGES) -> str:
    text = "\n".join([BASE_RECIPE_VERSION, suite, *sorted(packages)])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def base_image_tag(suite: str | None = None) -> str:
    if suite is None:
        suite = apt_mirror_and_suite()[1]
    return f"{BASE_REPO}:{base_content_hash(suite)}"


def _image_exists(tag: str) -> bool:
    import docker.errors

    try:
        _docker_client().images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def bootstrap_base_image(force: bool = False, log: bool = True) -> str:
    """Build (or find cached) the offline base image; return its tag. Also tags ``:latest``."""
    mirror, suite = apt_mirror_and_suite()
    tag = base_image_tag(suite)
    client = _docker_client()
    if not force and _image_exists(tag):
        client.images.get(tag).tag(BASE_REPO, "latest")
        return tag
    if shutil.which("debootstrap") is None:
        raise ImageBuildError("debootstrap is not installed: run `apt-get install -y debootstrap`")
    workdir = Path(tempfile.mkdtemp(prefix="agentgym-rootfs-"))
    rootfs = workdir / "rootfs"
    try:
        cmd = [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(BASE_PACKAGES)}",
            suite,
            str(rootfs),
            mirror,
        ]
        proc = subprocess.run(cmd, capture_output=not log, text=True, check=False)
        if proc.returncode != 0:
            detail = (proc.stderr or "")[-2000:] if not log else ""
            raise ImageBuildError(f"debootstrap failed (exit {proc.returncode}). {detail}")
        # Trim what a sandbox never needs: apt caches, docs, man pages.
        for sub in (
            "var/cache/apt/archives",
            "usr/share/doc",
            "usr/share/man",
            "var/lib/apt/lists",
        ):
            target = rootfs / sub
            if target.exists():
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir(parents=True, exist_ok=True)
        (rootfs / "workspace").mkdir(exist_ok=True)
        changes = [
            'CMD ["/bin/bash"]',
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            "WORKDIR /workspace",
            f"LABEL {IMAGE_LABEL}=base",
            f"LABEL agentgym.content_hash={base_content_hash(suite)}",
        ]
        import_cmd = ["docker", "import"]
        for change in changes:
            import_cmd += ["--change", change]
        import_cmd += ["-", tag]
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imp = subprocess.run(import_cmd, stdin=tar.stdout, capture_output=True, text=True)
        tar.wait()
        if imp.returncode != 0 or tar.returncode != 0:
            raise ImageBuildError(f"docker import failed: {imp.stderr.strip()}")
        client.images.get(tag).tag(BASE_REPO, "latest")
        return tag
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def context_hash(context_dir: Path, dockerfile: str = "Dockerfile") -> str:
    """Content hash of a build context (paths + bytes), stable across machines."""
    digest = hashlib.sha256()
    for path in sorted(p for p in context_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(context_dir).as_posix()
        digest.update(rel.encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    digest.update(dockerfile.encode())
    return digest.hexdigest()[:16]


def build_task_image(
    context_dir: str | os.PathLike[str], name: str | None = None, timeout: float | None = None
) -> str:
    """Build the image of a task from its Dockerfile; cached by the context's content hash.

    ``timeout`` (seconds: the task's ``build_timeout_sec``) bounds the build's HTTP call."""
    import docker.errors

    context = Path(context_dir)
    dockerfile = context / "Dockerfile"
    if not dockerfile.exists():
        raise ImageBuildError(f"{dockerfile} does not exist: a task image needs a Dockerfile")
    # The base images count too: a rebuilt agentgym/base:latest must not reuse task images
    # built on the old one.
    digest = hashlib.sha256(
        (context_hash(context) + _from_image_ids(dockerfile.read_text())).encode()
    ).hexdigest()[:16]
    tag = f"{TASK_REPO}:{(name or 'task').lower().replace('/', '-')[:40]}-{digest}"
    if _image_exists(tag):
        return tag
    client = _docker_client()
    try:
        client.images.build(
            path=str(context),
            tag=tag,
            rm=True,
            forcerm=True,
            network_mode="none",
            labels={IMAGE_LABEL: "task", "agentgym.content_hash": digest},
            **({"timeout": int(timeout) + 1} if timeout is not None else {}),
        )
    except docker.errors.BuildError as exc:
        lines = [str(item.get("stream", item.get("error", ""))) for item in exc.build_log]
        tail = "".join(lines)[-2000:]
        raise ImageBuildError(f"building {dockerfile} failed: {exc.msg}\n{tail}") from exc
    except docker.errors.APIError as exc:
        raise ImageBuildError(f"building {dockerfile} failed: {exc}") from exc
    except OSError as exc:  # requests' ReadTimeout: the build ran past build_timeout_sec
        raise ImageBuildError(f"building {dockerfile} failed or timed out: {exc}") from exc
    return tag


def _from_image_ids(dockerfile: str) -> str:
    """The ids of the images a Dockerfile builds FROM, where they are present locally."""
    import docker.errors

    ids = []
    for line in dockerfile.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].upper() == "FROM":
            image = next((p for p in parts[1:] if not p.startswith("--")), "")
            try:
                ids.append(_docker_client().images.get(image).id)
            except (docker.errors.ImageNotFound, docker.errors.APIError):
                ids.append(image)
    return ",".join(ids)


def list_images() -> list[ImageInfo]:
    """Images made by agentgym (base and task), newest first."""
    client = _docker_client()
    out: list[ImageInfo] = []
    for image in client.images.list(filters={"label": IMAGE_LABEL}):
        labels = image.labels or {}
        for tag in image.tags or ["<untagged>"]:
            out.append(
                ImageInfo(
                    tag=tag,
                    kind=labels.get(IMAGE_LABEL, "?"),
                    content_hash=labels.get("agentgym.content_hash", ""),
                    size_mb=round((image.attrs.get("Size") or 0) / 1e6, 1),
                    created=str(image.attrs.get("Created", ""))[:19],
                )
            )
    return sorted(out, key=lambda i: i.created, reverse=True)


def tar_bytes(files: dict[str, bytes], mode: int = 0o644) -> bytes:
    """A tar archive (in memory) of ``{relative path: content}``, for put_archive."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name=name.lstrip("/"))
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
