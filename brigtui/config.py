"""Project settings from an optional `brigtui.yaml` in the pipelines folder.

Every section is a dataclass; `load_settings` checks the file against those dataclasses and
reports an unknown key or a wrong type with the file, line, key and what is allowed.
Secrets come from environment variables or files outside the repository, never from the
YAML file itself.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml

from brigtui.engine.errors import ConfigError
from brigtui.engine.masking import Masker

SETTINGS_FILE = "brigtui.yaml"
EXECUTORS = ("local", "container", "kubernetes")


@dataclass
class LocalSettings:
    sandbox: Literal["auto", "bubblewrap", "unshare", "none"] = "auto"
    """Mount namespace that gives jobs /src and /mnt/brigade/share: bubblewrap, `unshare`, or none."""
    shell: str = "auto"
    """Default shell of jobs; `auto` picks bash when /bin/sh lacks `<<<`."""


@dataclass
class ContainerSettings:
    runtime: Literal["auto", "podman", "docker"] = "auto"
    """Container client; `auto` prefers podman."""
    network: bool = True
    """False runs jobs with `--network none`."""
    extra_args: list[str] = field(default_factory=list)
    """Flags added to every `run` command, for hosts that need them."""
    debug_image: str = ""
    """Image of the share inspector's container; empty uses the job image of the build."""
    allow_privileged: bool = False
    """Whether jobs that set `privileged` may run privileged containers (`--privileged`)."""


@dataclass
class KubernetesSettings:
    context: str = ""
    """Kubeconfig context; empty uses the current context."""
    namespace: str = ""
    """Namespace of the build's objects; empty uses the context's namespace or 'default'."""
    storage_class: str = ""
    """Storage class of the build's claim; empty uses the cluster's default class."""
    storage_size: str = "1Gi"
    access_mode: Literal["ReadWriteMany", "ReadWriteOnce"] = "ReadWriteMany"
    """ReadWriteOnce runs every storage-enabled job of a build on one node."""
    allow_privileged: bool = False
    """Whether jobs that set `privileged` may run privileged pods."""
    start_timeout: float = 300.0
    """Seconds a pod may stay unscheduled or pulling before its job fails."""
    claim_timeout: float = 120.0
    """Seconds the build's claim may stay Pending before storage-enabled jobs fail."""
    debug_image: str = "busybox:1.36"
    """Image of the share inspector's debug pod."""
    debug_user: int = 0
    """User id the debug pod runs as, so files written by jobs stay readable."""
    debug_deadline: int = 3600
    """Seconds after which the debug pod ends on its own if brigtui is gone."""
    source_limit: int = 900 * 1024
    """Maximum bytes of the compressed project source carried to pods in a Secret."""
    source_image: str = ""
    """Image of the init container that unpacks the source into /src; empty uses the job's
    image, which then needs `tar` with gzip support."""
    end_timeout: float = 60.0
    """Seconds the end of a build waits for its pods and claim to be gone."""


@dataclass
class ShareSettings:
    keep_hours: float = 24.0
    """Hours a failed or cancelled build keeps its share; `brigtui gc` removes older ones."""
    keep_count: int = 20
    """Kept shares at most; older ones go first."""


@dataclass
class WatchSettings:
    on_change: Literal["cancel", "queue"] = "cancel"
    """Action on a change while a build of the same script runs: cancel it, or queue the rerun."""
    debounce_ms: int = 150
    """Quiet time after the last change before a rerun starts."""
    max_delay_ms: int = 2000
    """Maximum wait for quiet time, so constant writes still give a rerun after it."""
    small_batch_debounce_ms: int = 50
    """Quiet time instead of debounce_ms while a batch has at most 3 files (an editor save)."""
    event: str = "exec"
    """Event that a change reruns."""


@dataclass
class SecretSource:
    env: str = ""
    """Environment variable that contains the value."""
    file: str = ""
    """File that contains the value, outside the repository (`~` expands)."""


@dataclass
class Settings:
    project: str = ""
    """Project name; empty uses the folder's name."""
    executor: Literal["local", "container", "kubernetes"] = "local"
    local: LocalSettings = field(default_factory=LocalSettings)
    container: ContainerSettings = field(default_factory=ContainerSettings)
    kubernetes: KubernetesSettings = field(default_factory=KubernetesSettings)
    share: ShareSettings = field(default_factory=ShareSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    secrets: dict[str, SecretSource] = field(default_factory=dict)


def load_settings(folder: Path) -> Settings:
    """Read `brigtui.yaml` from the folder; return defaults when there is none."""
    path = folder / SETTINGS_FILE
    if not path.is_file():
        return Settings()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the settings: {error}") from error
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML: {error}") from error
    if data is None:
        return Settings()
    lines = _key_lines(node)
    return _build(Settings, data, (), _Context(path, lines))


def resolve_secrets(settings: Settings, folder: Path) -> dict[str, str]:
    """Read every secret's value from its environment variable or file."""
    values: dict[str, str] = {}
    for name, source in settings.secrets.items():
        key = f"secrets.{name}"
        if bool(source.env) == bool(source.file):
            raise ConfigError(
                f"{folder / SETTINGS_FILE}: key '{key}' needs exactly one of 'env' or 'file'"
            )
        if source.env:
            value = os.environ.get(source.env)
            if value is None:
                raise ConfigError(
                    f"{folder / SETTINGS_FILE}: secret '{name}' reads the environment variable "
                    f"{source.env}, which is not set; export it before starting brigtui"
                )
            values[name] = value
            continue
        secret_path = Path(source.file).expanduser()
        if not secret_path.is_absolute():
            secret_path = folder / secret_path
        if secret_path.resolve().is_relative_to(folder.resolve()):
            raise ConfigError(
                f"{folder / SETTINGS_FILE}: secret '{name}' reads {secret_path}, inside the "
                "pipelines folder; keep secret files outside the repository"
            )
        try:
            values[name] = secret_path.read_text(encoding="utf-8").rstrip("\n")
        except OSError as error:
            raise ConfigError(
                f"{folder / SETTINGS_FILE}: secret '{name}' cannot read {secret_path}: "
                f"{error.strerror}"
            ) from error
    return values


def secret_masker(folder: Path, settings: Settings | None = None) -> Masker:
    """Build a masker for the project's current secret values, for text shown on screen.

    The masker masks nothing when the settings or a secret cannot be read, because then no
    build received a secret value either.
    """
    try:
        return Masker(resolve_secrets(settings or load_settings(folder), folder).values())
    except ConfigError:
        return Masker()


def settings_as_dict(settings: Settings) -> dict[str, Any]:
    """Convert the settings to plain data without secret sources, for `project.settings`."""
    data = dataclasses.asdict(settings)
    data.pop("secrets", None)
    return data


@dataclass
class _Context:
    path: Path
    lines: dict[tuple[str, ...], int]

    def where(self, keys: tuple[str, ...]) -> str:
        line = self.lines.get(keys)
        return f"{self.path}, line {line}" if line else str(self.path)


def _key_lines(node: yaml.Node | None, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    lines: dict[tuple[str, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            lines[key] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, key))
    return lines


def _build(cls: type, data: Any, keys: tuple[str, ...], context: _Context) -> Any:
    label = ".".join(keys) or "the top level"
    if cls is SecretSource and not isinstance(data, dict):
        # Never echo the value: it may be the secret itself, written inline by mistake.
        raise ConfigError(
            f"{context.where(keys)}: '{label}' must name where the value comes from, as "
            "'env: VARIABLE' or 'file: PATH'; secret values never go into brigtui.yaml"
        )
    if not isinstance(data, dict):
        raise ConfigError(
            f"{context.where(keys)}: '{label}' must be a mapping of keys, got {_kind(data)}"
        )
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        path = (*keys, str(key))
        if key not in known:
            raise ConfigError(
                f"{context.where(path)}: unknown key '{'.'.join(path)}'; "
                f"allowed in {label}: {', '.join(sorted(known))}"
            )
        values[key] = _convert(hints[key], value, path, context)
    return cls(**values)


def _convert(hint: Any, value: Any, keys: tuple[str, ...], context: _Context) -> Any:
    key = ".".join(keys)
    where = context.where(keys)
    origin = get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value if value is not None else {}, keys, context)  # type: ignore[arg-type]
    if origin is Literal:
        choices = get_args(hint)
        if value not in choices:
            allowed = ", ".join(str(choice) for choice in choices)
            raise ConfigError(f"{where}: '{key}' is {value!r}; allowed: {allowed}")
        return value
    if origin is dict:
        _, value_type = get_args(hint)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: '{key}' must be a mapping, got {_kind(value)}")
        return {
            str(name): _convert(value_type, item, (*keys, str(name)), context)
            for name, item in value.items()
        }
    if origin is list:
        (item_type,) = get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: '{key}' must be a list, got {_kind(value)}")
        return [_convert(item_type, item, keys, context) for item in value]
    if origin in (Union, types.UnionType):
        raise AssertionError(f"settings field {key} uses a union type, which is not supported")
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: '{key}' must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: '{key}' must be a whole number, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: '{key}' must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ConfigError(f"{where}: '{key}' must be a string, got {_kind(value)}")
        return str(value)
    raise AssertionError(f"settings field {key} has an unsupported type {hint!r}")


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "nothing"}.get(
        type(value), repr(value)
    )
