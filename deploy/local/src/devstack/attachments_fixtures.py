"""Session fixtures for attachments' tests: a real S3-compatible object storage (s3proxy) and
a real clamd, each the session's own on free ports, stopped at the end.

``MESSAGES_OBJECT_STORAGE_ENDPOINT`` (with ``MESSAGES_OBJECT_STORAGE_ACCESS_KEY`` and
``MESSAGES_OBJECT_STORAGE_SECRET_KEY``) and ``MESSAGES_CLAMD_ADDRESS`` name existing ones
instead. When one cannot be had, the test fails under ``CI=true`` and is skipped otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from devstack.config import DEFAULT_PORTS, StackConfig
from devstack.parts.attachments import (
    LOCAL_ACCESS_KEY,
    LOCAL_SECRET_KEY,
    ObjectStorage,
    VirusScanner,
)
from devstack.parts.base import Part, StartFailure, wait_ready
from servicekit.testing import free_port


@dataclass(frozen=True)
class RunningObjectStorage:
    endpoint: str
    access_key: str
    secret_key: str


def _own(part_type: type[Part], port_name: str, home: object) -> Iterator[Part]:
    from devstack.pytest_plugin import unavailable

    config = replace(
        StackConfig(),
        home=home,  # type: ignore[arg-type]
        ports=dict(DEFAULT_PORTS) | {port_name: free_port()},
    )
    config.ensure_folders()
    part = part_type(config)
    try:
        part.prepare()
        part.start()
        wait_ready(part)
    except StartFailure as failure:
        part.stop()
        unavailable(part.title, f"{failure.reason} (log: {failure.log})")
    try:
        yield part
    finally:
        part.stop()


@pytest.fixture(scope="session")
def object_storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningObjectStorage]:
    if endpoint := os.environ.get("MESSAGES_OBJECT_STORAGE_ENDPOINT"):
        yield RunningObjectStorage(
            endpoint,
            os.environ.get("MESSAGES_OBJECT_STORAGE_ACCESS_KEY", LOCAL_ACCESS_KEY),
            os.environ.get("MESSAGES_OBJECT_STORAGE_SECRET_KEY", LOCAL_SECRET_KEY),
        )
        return
    for part in _own(ObjectStorage, "object_storage", tmp_path_factory.mktemp("s3")):
        assert isinstance(part, ObjectStorage)
        yield RunningObjectStorage(part.endpoint, LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY)


@pytest.fixture(scope="session")
def clamd_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if address := os.environ.get("MESSAGES_CLAMD_ADDRESS"):
        yield address
        return
    for part in _own(VirusScanner, "clamd", tmp_path_factory.mktemp("clamd")):
        yield part.address()
