"""Real servers the tests talk to over loopback: a free port, waiting for a server process to
listen, and receivers that misbehave (one that never answers, one that trickles its answer)."""

import socket
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, attempts: int = 100) -> None:
    """Until something listens on the port (a server process starting up)."""
    for _ in range(attempts):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)


class HangingReceiver:
    """Accepts connections, reads the request and never answers (until closed)."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.connections = []
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections.append(connection)

    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks"

    def close(self):
        self.stopped.set()
        self.server.close()
        for connection in self.connections:
            connection.close()


class TricklingServer:
    """Answers one request with `answer`, a byte every `pause` seconds, until stopped."""

    def __init__(self, answer: bytes, pause: float):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self._answer, self._pause = answer, pause
        threading.Thread(target=self._trickle, daemon=True).start()

    def _trickle(self):
        connection, _ = self.listener.accept()
        connection.recv(65536)
        for byte in self._answer:
            if self.stopped.wait(self._pause):
                break
            connection.sendall(bytes([byte]))
        connection.close()

    def close(self):
        self.stopped.set()
        self.listener.close()
