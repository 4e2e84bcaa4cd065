"""Values wherever they are written: paths, images, secrets (PY040, PY050-PY052, PY060-PY061).

Where code runs decides what a path means: `/app` or `/opt/prefect` is a folder inside
an image, right when runs are in containers; `/Users/me/...` or `C:\\...` is never inside a
Linux container; `/home/alice/...` is one person's machine unless the image or the
Dockerfile says otherwise. The checker never guesses the pool's type from its name.
"""

from __future__ import annotations

import re

from .document import Document
from .locate import walk, where

TEMPLATED = re.compile(r"\{\{.*\}\}")
ENV_VAR = re.compile(r"\{\{\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
ABSOLUTE_PATH = re.compile(r"^(/|~|[A-Za-z]:[\\/])")
# never inside a Linux container: a Mac's home, a Windows drive, `~`
HOST_ONLY_PATH = re.compile(r"^(/Users/|~|[A-Za-z]:[\\/])")
# a person's machine: a home folder, a codespace, a WSL drive, a mounted disk or volume
PERSONAL_PATH = re.compile(
    r"^(/home/(?P<user>[^/]+)|/workspaces/|/mnt/[a-z]/|/mnt/[0-9A-Fa-f-]{8,}/|/media/)"
)
# home folders of the accounts servers, CI runners and images run as, not a person's
SERVICE_USERS = {
    "ubuntu", "ec2-user", "azureuser", "admin", "debian", "centos", "fedora", "opc",
    "cloud-user", "app", "appuser", "prefect", "runner", "worker", "jovyan", "airflow",
}  # fmt: skip
TOKENS = re.compile(
    r"\b(pnu_[A-Za-z0-9]{30,}|pnb_[A-Za-z0-9]{30,}|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|github_pat_[A-Za-z0-9_]{40,}|glpat-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}"
    r"|xox[abpr]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9]{32,})"
    r"|hooks\.slack\.com/services/T[A-Z0-9]+/"
)
SECRET_KEY = re.compile(
    r"(^|_)(password|passwd|secret|token|api_?key|access_?key(_?id)?|secret_?key|private_?key"
    r"|auth_?key)$",
    re.IGNORECASE,
)
SECRET_BLOCK = re.compile(r"\{\{\s*prefect\.blocks\.(secret|[\w-]*credentials)\.", re.IGNORECASE)
# a `key: value` line in a comment (a commented-out step keeps its token in git)
COMMENTED = re.compile(r"^\s*#+\s*-?\s*([\w-]+)\s*:\s*[\"']?([^\s\"'#]+)[\"']?\s*$")


def check_values(doc: Document) -> None:
    _check_deploy_time_secrets(doc)
    for path, key, value in walk(doc.data):
        if isinstance(value, str):
            _check_text(doc, path, key, value.strip())
    _check_commented_secrets(doc)
    _check_tagged_images(doc)
    for index, deployment, _ in doc.deployments():
        _check_paths(doc, ("deployments", index), deployment)
    if not doc.deployments():
        _check_paths(doc, (), {})


def _check_text(doc: Document, path: tuple, key: object, text: str) -> None:
    if TOKENS.search(text):
        doc.add(path, "PY060", where=where(path), what="a token")
    elif plain_secret(key, text):
        doc.add(path, "PY060", where=where(path), what=f"the {key}")
    if key in ("image", "image_name") and not TEMPLATED.search(text):
        repository = text.partition("@")[0]
        if ":" in repository.rpartition("/")[2]:
            repository = repository.rpartition(":")[0]
        if repository != repository.lower():
            doc.add(path, "PY051", image=text, lower=repository.lower())
    if is_latest(key, text):
        doc.add(path, "PY050", image=text)


def _check_deploy_time_secrets(doc: Document) -> None:
    """Secrets that prefect deploy fills into job_variables or parameters (also beside the
    pool, where they are dropped today and stored the day they are moved under it)."""
    for index, deployment, _ in doc.deployments():
        at = ("deployments", index)
        pool = deployment.get("work_pool")
        variables = pool.get("job_variables") if isinstance(pool, dict) else None
        places = [
            (at + ("work_pool", "job_variables"), variables, "job_variables"),
            (at + ("job_variables",), deployment.get("job_variables"), "job_variables"),
            (at + ("parameters",), deployment.get("parameters"), "parameters"),
        ]
        for base, value, kind in places:
            for path, _, text in walk(value, base):
                if not isinstance(text, str):
                    continue
                for name in ENV_VAR.findall(text):
                    if SECRET_KEY.search(name):
                        doc.add(path, "PY061", value=f"{{{{ ${name} }}}}", kind=kind)
                if SECRET_BLOCK.search(text):
                    doc.add(path, "PY061", value=repr(text.strip()), kind=kind)


def _check_commented_secrets(doc: Document) -> None:
    for number, line in enumerate(doc.text.splitlines(), 1):
        match = COMMENTED.match(line)
        if not match:
            continue
        key, value = match.groups()
        if TOKENS.search(value) or (SECRET_KEY.search(key) and _looks_secret(value, 20)):
            doc.add_line(number, "PY060", where="a comment", what=f"the {key}")


def plain_secret(key: object, text: str) -> bool:
    """A literal value under a secret's name (an API key, a password), not a reference."""
    if not isinstance(key, str) or not text or TEMPLATED.search(text):
        return False
    if key.upper() == "PREFECT_API_KEY":
        return True  # never belongs in the file, whatever it looks like
    return bool(SECRET_KEY.search(key)) and _looks_secret(text)


def _looks_secret(text: str, length: int = 8) -> bool:
    """A value, not a name: no spaces, `length`+ characters of 2+ kinds, naming no secret."""
    if len(text) < length or " " in text or text.startswith("$") or "://" in text:
        return False
    if re.search(r"password|passwd|secret|token|key|null|none", text, re.IGNORECASE):
        return False  # the name of a secret or of a key in one
    kinds = [r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"]
    return sum(bool(re.search(kind, text)) for kind in kinds) >= 2


def is_latest(key: object, text: str) -> bool:
    if TEMPLATED.search(text):
        return False
    if key == "tag":
        return text.casefold() == "latest" or text.casefold().endswith("-latest")
    if key in ("image", "image_name", "base_image") or (
        isinstance(key, str) and key.endswith("image")
    ):
        tag = text.rpartition("/")[2].partition("@")[0]
        return ":" in tag and "latest" in tag.rpartition(":")[2].casefold()
    return False


def _check_tagged_images(doc: Document) -> None:
    """A build step given `image_name: repo:tag` and `tag:` too tags `repo:tag:tag`."""
    for path, _, step in walk(doc.data):
        if not isinstance(step, dict) or not {"image_name", "tag"} <= set(step):
            continue
        image, tag = step["image_name"], step["tag"]
        if not isinstance(image, str) or not isinstance(tag, (str, int, float)):
            continue
        if ":" in image.rpartition("/")[2] and not TEMPLATED.search(image):
            doc.add(path + ("image_name",), "PY052", image=image, tag=str(tag))


def _check_paths(doc: Document, at: tuple, deployment: dict) -> None:
    """A working folder on one person's machine fails everywhere else; under --strict any
    absolute path outside the image's WORKDIR is reported (house style)."""
    container = doc.in_container(deployment) if deployment else False
    sources = [(("pull",), doc.data.get("pull")), (at + ("pull",), deployment.get("pull"))]
    if doc.options.strict:
        top = {k: v for k, v in doc.data.items() if k != "deployments"}
        sources = [((), top), (at, deployment)]
    for base, value in sources:
        for path, key, text in walk(value, base):
            if not isinstance(text, str) or not ABSOLUTE_PATH.match(text.strip()):
                continue
            if any(text == w or text.startswith(w.rstrip("/") + "/") for w in doc.workdirs):
                continue  # where the image puts the code
            why = personal(text, container) if key == "directory" else None
            if why:
                doc.add(path, "PY040", path=text, why=why)
            elif doc.options.strict:
                doc.add(path, "PY105", path=text)


def personal(path: str, container: bool) -> str | None:
    """Why `path` is a folder on one person's machine, or None when it may be anywhere."""
    if HOST_ONLY_PATH.match(path):
        return "a Windows drive" if re.match(r"[A-Za-z]:", path) else "a Mac or a home folder"
    match = PERSONAL_PATH.match(path)
    if container or not match:
        return None
    if match.group("user") is not None:
        if match.group("user") in SERVICE_USERS:
            return None
        return f"the home folder of {match.group('user')!r}"
    if path.startswith("/workspaces/"):
        return "a codespace or dev container"
    return "a disk mounted on one machine"


def check_documented_variables(doc: Document) -> None:
    """House style: every `{{ $VAR }}` is documented in .env.example (PY104)."""
    documented: set[str] = set()
    example = doc.root / ".env.example"
    if example.is_file():
        pattern = re.compile(r"^#?\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=", re.M)
        documented = set(pattern.findall(example.read_text(encoding="utf-8", errors="replace")))
    for number, line in enumerate(doc.text.splitlines(), 1):
        for name in ENV_VAR.findall(line):
            if name not in documented:
                doc.add_line(number, "PY104", name=name)
