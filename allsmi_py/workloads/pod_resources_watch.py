"""Which pod holds each device, kept fresh by a thread of its own so no tick waits on the kubelet.

`PodResourcesWatcher` asks the kubelet's pod-resources API every `interval_s` and swaps in
the new device map; the collector reads `device_workloads()`, which is one attribute read.
When the socket is absent, hangs or answers garbage the map is empty and `status` says why.
"""

from __future__ import annotations

import threading
import time
from types import MappingProxyType

from allsmi_py.settings import SCHEMA
from allsmi_py.workloads.pod_resources import (
    DEADLINE_S,
    SOCKET_PATH,
    DeviceMap,
    PodResourcesClient,
    PodResourcesError,
    unavailable_reason,
)

INTERVAL_S: float = SCHEMA["kubernetes"]["pod_resources_interval_s"].default
_EMPTY: DeviceMap = MappingProxyType({})


class PodResourcesWatcher:
    """The latest device id -> pod containers map of one kubelet socket, refreshed in the back."""

    def __init__(self, socket_path: str = SOCKET_PATH, interval_s: float = INTERVAL_S,
                 deadline_s: float = DEADLINE_S) -> None:
        self.socket_path = socket_path
        self.interval_s = interval_s
        self.deadline_s = deadline_s
        self._map: DeviceMap = _EMPTY
        self._allocatable: dict[str, tuple[str, ...]] = {}
        self._status: str | None = "not started"
        self.allocatable_status: str | None = None  # why allocatable() is empty, if it is
        self.refreshed_at_s: float | None = None  # monotonic time of the last good answer
        self.refreshes = 0  # attempts, good or not
        self._first = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: PodResourcesClient | None = None
        self._client_lock = threading.Lock()  # close() and a first refresh may race

    def device_workloads(self) -> DeviceMap:
        """Device id (GPU-..., MIG-..., as the device plugin names it) -> pod containers now."""
        return self._map

    def allocatable(self) -> dict[str, tuple[str, ...]]:
        """Accelerator resource name -> the device ids the kubelet can allocate of it."""
        return self._allocatable

    @property
    def status(self) -> str | None:
        """None while the kubelet answers; else why the map is empty, in one line."""
        return self._status

    def start(self) -> None:
        """Start the refreshing thread (once); the first answer comes within a deadline."""
        if self._thread is not None:
            return
        self._status = "waiting for the kubelet's first answer"
        self._thread = threading.Thread(target=self._run, name="pod-resources", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout_s: float) -> bool:
        """Wait until the first refresh has ended, well or not (for one-shot readers)."""
        return self._first.wait(timeout_s)

    def refresh(self) -> None:
        """Ask the kubelet once and keep what it says (called by the thread; tests call it)."""
        try:
            client = self._open_client()
            found = client.list_devices()
        except PodResourcesError as exc:
            self._map, self._allocatable, self._status = _EMPTY, {}, str(exc)
            self.refreshes += 1
            return
        self._map, self._status = MappingProxyType(found), None
        self.refreshed_at_s = time.monotonic()
        try:  # kubelets before 1.23 may not serve it (UNIMPLEMENTED): List is what counts
            self._allocatable, self.allocatable_status = client.allocatable(), None
        except PodResourcesError as exc:
            self._allocatable, self.allocatable_status = {}, str(exc)
        self.refreshes += 1

    def _open_client(self) -> PodResourcesClient:
        with self._client_lock:
            if self._stop.is_set():
                raise PodResourcesError("the pod-resources watcher is closed")
            if self._client is None:
                self._client = PodResourcesClient(self.socket_path, self.deadline_s)
            return self._client

    def _run(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._first.set()
            self._stop.wait(self.interval_s)

    def close(self) -> None:
        """Stop the thread and close the channel; the map stays as it was last read."""
        with self._client_lock:
            self._stop.set()
            if self._client is not None:
                self._client.close()  # ends a call in flight at once
        if self._thread is not None:
            self._thread.join(timeout=self.deadline_s + 1.0)
        self._first.set()

    def __enter__(self) -> PodResourcesWatcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def watcher_if_present(socket_path: str = SOCKET_PATH, interval_s: float = INTERVAL_S,
                       wait_s: float = 0.0) -> PodResourcesWatcher | None:
    """A started watcher when grpcio is installed and `socket_path` is a socket; else None.

    An empty path turns it off. Why there is none is `unavailable_reason(socket_path)`.
    `wait_s` waits at most that long for the first answer (a one-shot reader such as
    `allsmi snapshot` takes one tick right away); 0 does not wait.
    """
    if not socket_path or unavailable_reason(socket_path) is not None:
        return None
    watcher = PodResourcesWatcher(socket_path, interval_s)
    watcher.start()
    if wait_s > 0:
        watcher.wait_ready(wait_s)
    return watcher

