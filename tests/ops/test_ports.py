"""Free ports for the platform's servers (ops.net): outside the range outgoing connections take
their local ports from, and never handed to two processes at once."""

import os
import socket
import time

import pytest

from ops import net

pytestmark = pytest.mark.unit


@pytest.fixture
def reservations(tmp_path, monkeypatch):
    monkeypatch.setattr(net, "RESERVATIONS", tmp_path / "ports")
    return tmp_path / "ports"


def _only(monkeypatch, ports):
    monkeypatch.setattr(net, "_pool", lambda: ports)


def test_ports_are_distinct_bindable_and_outside_the_ephemeral_range(reservations):
    low, high = (int(p) for p in net.EPHEMERAL_RANGE.read_text().split())
    ports = net.free_ports(20)
    assert len(set(ports)) == 20
    for port in ports:
        assert not low <= port <= high
        assert port not in net.RABBITMQ_PORTS
        with socket.socket() as server:
            server.bind((net.HOST, port))
    assert sorted(int(p.name) for p in reservations.iterdir()) == sorted(ports)


def test_a_reserved_port_is_not_handed_out_again_until_its_reservation_is_old(reservations, monkeypatch):
    first, second = net.free_ports(2)
    _only(monkeypatch, [first, second])
    with pytest.raises(OSError, match="no free port"):
        net.free_port()  # both reserved (by this process or any other on the machine)
    old = time.time() - net.RESERVED_FOR - 1
    os.utime(reservations / str(second), (old, old))
    assert net.free_port() == second


def test_the_local_end_of_an_outgoing_connection_is_not_free(reservations, monkeypatch):
    """What broke a CI run: nginx's port had meanwhile become a client's local port."""
    (taken,) = net.free_ports(1)
    (reservations / str(taken)).unlink()
    _only(monkeypatch, [taken])
    with socket.socket() as listener, socket.socket() as client:
        listener.bind((net.HOST, 0))
        listener.listen()
        client.bind((net.HOST, taken))
        client.connect(listener.getsockname())
        with pytest.raises(OSError, match="no free port"):
            net.free_port()


def test_without_a_directory_to_reserve_in_the_bind_test_still_applies(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setattr(net, "RESERVATIONS", tmp_path / "file" / "ports")  # cannot be created
    port = net.free_port()
    with socket.socket() as server:
        server.bind((net.HOST, port))


def test_the_web_sockets_directory_is_made_for_this_user_alone(tmp_path, monkeypatch):
    made = tmp_path / "web"
    monkeypatch.setattr(net, "WEB_SOCKETS", made)
    net.make_web_sockets_directory()
    assert made.stat().st_mode & 0o777 == 0o700
    assert net.web_socket(8102) == made / "8102.sock"
    net.make_web_sockets_directory()  # there already: kept


@pytest.mark.parametrize("mode", [0o755, 0o770, 0o701])
def test_a_web_sockets_directory_others_may_enter_is_refused(tmp_path, monkeypatch, mode):
    shared = tmp_path / "web"
    shared.mkdir()
    shared.chmod(mode)
    monkeypatch.setattr(net, "WEB_SOCKETS", shared)
    with pytest.raises(PermissionError, match="no one else may enter"):
        net.make_web_sockets_directory()


def test_a_web_sockets_directory_that_is_a_link_is_refused(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "web").symlink_to(elsewhere)
    monkeypatch.setattr(net, "WEB_SOCKETS", tmp_path / "web")
    with pytest.raises(PermissionError):
        net.make_web_sockets_directory()
