"""Private targets: one setting (OUTBOUND_ALLOW_PRIVATE_TARGETS, with WEBHOOK_ALLOW_PRIVATE_TARGETS
as its alias), or a project's allow-list, which opens the listed host or network for that project
only."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

import outbound
from outbound import TargetRefused
from outbound.models import AllowedTarget, normal_target
from outbound.targets import private_targets_allowed, url_problem
from tests.webhooks.conftest import Receiver, run_worker
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("outbound_setting", "webhook_setting", "allowed"),
    [(False, False, False), (True, False, True), (False, True, True), (True, True, True)],
)
def test_either_setting_opens_private_targets(settings, outbound_setting, webhook_setting, allowed):
    settings.OUTBOUND_ALLOW_PRIVATE_TARGETS = outbound_setting
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = webhook_setting
    assert private_targets_allowed() is allowed
    assert (url_problem("http://127.0.0.1:9000/x") is None) is allowed


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "False False"),
        ({"OUTBOUND_ALLOW_PRIVATE_TARGETS": "true"}, "True True"),
        ({"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}, "False True"),
    ],
)
def test_the_settings_come_from_the_environment(env, expected):
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_ALLOW_PRIVATE_TARGETS")}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from outbound.targets import private_targets_allowed; "
        "print(settings.OUTBOUND_ALLOW_PRIVATE_TARGETS, private_targets_allowed())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == expected


def test_a_listed_network_opens_that_network_for_that_project_only(server, project, other_project, private_off):
    AllowedTarget.objects.create(project=project, target="127.0.0.0/30")
    assert outbound.request("GET", server.url("/mine"), project=project, timeout=5).status_code == 200
    with pytest.raises(TargetRefused):
        outbound.request("GET", server.url("/theirs"), project=other_project, timeout=5)
    with pytest.raises(TargetRefused):
        outbound.request("GET", server.url("/nobody"), timeout=5)
    assert url_problem("http://127.0.0.9/", project) is not None  # outside the network
    assert url_problem("http://10.0.0.1/", project) is not None
    assert url_problem("http://169.254.169.254/", project) is not None
    assert [r["path"] for r in server.requests] == ["/mine"]


def test_a_listed_host_opens_that_host_and_not_its_neighbours(server, project, other_project, private_off):
    AllowedTarget.objects.create(project=project, target="LocalHost.")
    assert outbound.request("GET", server.url("/by-name", host="localhost"), project=project, timeout=5).status_code == 200
    with pytest.raises(TargetRefused):
        outbound.request("GET", server.url("/by-address"), project=project, timeout=5)  # 127.0.0.1 is not listed
    with pytest.raises(TargetRefused):
        outbound.request("GET", server.url("/other", host="localhost"), project=other_project, timeout=5)
    assert url_problem("http://api.localhost/", project) is not None


def test_a_listed_name_opens_its_private_addresses(project, private_off, monkeypatch, server):
    import socket

    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", server.port))]
        if host == "vendor.internal"
        else real(host, *a, **k),
    )
    url = server.url("/v", host="vendor.internal")
    with pytest.raises(TargetRefused, match="non-public"):
        outbound.request("GET", url, project=project, timeout=5)
    AllowedTarget.objects.create(project=project, target="vendor.internal")
    assert outbound.request("GET", url, project=project, timeout=5).status_code == 200


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("10.20.0.0/16", "10.20.0.0/16"),
        ("10.20.3.4/16", "10.20.0.0/16"),
        ("10.1.2.3", "10.1.2.3/32"),
        ("[fd00::1]", "fd00::1/128"),
        ("fd00:1::/64", "fd00:1::/64"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        (" Vendor.Internal. ", "vendor.internal"),
    ],
)
def test_entries_are_stored_in_one_form(value, stored):
    assert normal_target(value) == stored


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.0.0.0/0", "Too wide"),
        ("::/0", "Too wide"),
        ("128.0.0.0/1", "Too wide"),
        ("10.0.0.0/7", "Too wide"),
        ("*.internal", "Wildcards"),
        ("http://vendor.internal/", "Not a host name"),
        ("vendor.internal:8080", "Not a host name"),
        ("10.0.0.0/33", "Not an IP network"),
        ("", "Enter a host name"),
    ],
)
def test_catch_alls_and_anything_but_a_host_or_network_are_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        normal_target(value)


def test_the_admin_adds_an_entry_and_refuses_a_catch_all_with_the_reason(admin_client, project):
    page = "/admin/outbound/allowedtarget/add/"
    response = admin_client.post(page, {"project": project.pk, "target": "0.0.0.0/0", "note": "everything"})
    assert response.status_code == 200
    assert "Too wide" in response.content.decode()
    assert not AllowedTarget.objects.exists()
    response = admin_client.post(page, {"project": project.pk, "target": "10.20.0.0/16", "note": "vendor sandbox"})
    assert response.status_code == 302
    assert AllowedTarget.objects.get().target == "10.20.0.0/16"
    response = admin_client.post(page, {"project": project.pk, "target": "10.20.1.1/16", "note": "again"})
    assert response.status_code == 200  # the same network, written differently
    assert AllowedTarget.objects.count() == 1


def test_the_webhook_subscription_admin_takes_the_projects_allow_list(admin_client, project, other_project, private_off):
    AllowedTarget.objects.create(project=project, target="10.20.0.0/16")
    page = "/admin/webhooks/webhooksubscription/add/"
    url = "http://10.20.0.5/hooks"
    response = admin_client.post(page, {"project": other_project.pk, "url": url, "is_active": "on"})
    assert response.status_code == 200
    assert "Private, loopback and link-local addresses" in response.content.decode()
    response = admin_client.post(page, {"project": project.pk, "url": url, "is_active": "on"})
    assert response.status_code == 302
    assert WebhookSubscription.objects.get().project == project


@pytest.mark.django_db(transaction=True)  # deliveries are queued after commit
def test_a_delivery_to_a_target_on_the_projects_allow_list_is_sent(api, demo_project, private_off):
    receiver = Receiver()
    try:
        AllowedTarget.objects.create(project=demo_project, target="127.0.0.1")
        WebhookSubscription.objects.create(project=demo_project, url=receiver.url(), events=[])
        assert api.run().status_code == 201
        run_worker()
        assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED
        assert len(receiver.requests) == 1
        assert "X-HMAC-Signature" in receiver.requests[0]["headers"]
    finally:
        receiver.close()


@pytest.mark.django_db(transaction=True)  # deliveries are queued after commit
def test_a_delivery_to_a_private_target_of_another_projects_list_is_refused_when_sent(api, demo_project, other_project, private_off):
    receiver = Receiver()
    try:
        AllowedTarget.objects.create(project=other_project, target="127.0.0.1")
        WebhookSubscription.objects.create(project=demo_project, url=receiver.url(), events=[])
        assert api.run().status_code == 201
        run_worker()
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.FAILED  # not retried: refused every time
        assert "Private, loopback" in delivery.attempts.get().error
        assert receiver.requests == []
    finally:
        receiver.close()


def test_a_run_may_subscribe_a_private_target_on_its_projects_allow_list_only(api, demo_project, other_project, private_off):
    from tests.webhooks.test_outbox import run_body

    url = "http://127.0.0.1:9/hooks"
    assert api.run(run_body(url)).status_code == 400  # not listed: refused
    AllowedTarget.objects.create(project=other_project, target="127.0.0.1")
    assert api.run(run_body(url)).status_code == 400  # another project's list opens nothing here
    AllowedTarget.objects.create(project=demo_project, target="127.0.0.1")
    assert api.run(run_body(url)).status_code == 201
