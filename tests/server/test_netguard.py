"""The SSRF guard: endpoints resolving to non-public addresses are refused unless allowed."""

from __future__ import annotations

import ipaddress

import pytest

from bucketry_server.config import Settings
from bucketry_server.errors import Invalid
from bucketry_server.netguard import check_url, forbidden_reason, parse_networks


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000",
        "http://localhost:9000",
        "http://10.1.2.3",
        "http://192.168.0.10",
        "http://172.16.5.5",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/",
        "http://[::1]:8080",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
    ],
)
def test_non_public_endpoints_are_refused_by_default(url: str) -> None:
    with pytest.raises(Invalid) as info:
        check_url(url, [])
    assert info.value.code == "invalid_endpoint"
    assert "endpoint_url" in (info.value.detail or "")
    assert info.value.errors and info.value.errors[0]["loc"] == ["body", "endpoint_url"]


def test_metadata_address_is_named() -> None:
    with pytest.raises(Invalid, match="metadata"):
        check_url("http://169.254.169.254/", [])


@pytest.mark.parametrize(
    "url",
    [
        "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud metadata (100.64.0.0/10)
        "http://100.64.0.1/",  # shared address space (carrier-grade NAT), not public
        "http://[2002:7f00:1::]/",  # 6to4 embedding 127.0.0.1
        "http://[2002:a9fe:a9fe::]/",  # 6to4 embedding 169.254.169.254
        "http://[2002:a00:1::1]/",  # 6to4 embedding 10.0.0.1
    ],
)
def test_non_public_addresses_in_disguise_are_refused(url: str) -> None:
    with pytest.raises(Invalid) as info:
        check_url(url, [])
    assert info.value.code == "invalid_endpoint"


def test_alibaba_metadata_address_is_named() -> None:
    with pytest.raises(Invalid, match="metadata"):
        check_url("http://100.100.100.200/", [])


def test_allowed_network_lets_loopback_through() -> None:
    addrs = check_url("http://127.0.0.1:9000", ["127.0.0.0/8"])
    assert addrs == [ipaddress.ip_address("127.0.0.1")]
    with pytest.raises(Invalid):  # another private network stays refused
        check_url("http://10.0.0.1", ["127.0.0.0/8"])


def test_public_address_passes() -> None:
    assert check_url("https://93.184.216.34/", []) == [ipaddress.ip_address("93.184.216.34")]
    assert forbidden_reason(ipaddress.ip_address("8.8.8.8")) is None


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com", "file:///etc/passwd", "http://", "not a url", "http://u:p@8.8.8.8/"],
)
def test_malformed_endpoints_are_refused(url: str) -> None:
    with pytest.raises(Invalid) as info:
        check_url(url, [])
    assert info.value.code == "invalid_endpoint"


def test_unresolvable_host_is_refused() -> None:
    with pytest.raises(Invalid, match="does not resolve"):
        check_url("http://no-such-host.invalid/", [])


def test_bad_cidr_setting_fails_loudly() -> None:
    with pytest.raises(ValueError, match="not a CIDR"):
        parse_networks(["10.0.0.0/33"])


def test_settings_read_networks_and_roots(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BUCKETRY_ALLOWED_NETWORKS", "127.0.0.0/8, 10.0.0.0/8")
    monkeypatch.setenv("BUCKETRY_FILESYSTEM_ROOTS", f"{tmp_path}/a:{tmp_path}/b")
    s = Settings.from_env()
    assert s.allowed_networks == ["127.0.0.0/8", "10.0.0.0/8"]
    assert s.filesystem_roots == [tmp_path / "a", tmp_path / "b"]
    flags = Settings.from_env(allowed_networks="::1/128", filesystem_roots=[str(tmp_path)])
    assert flags.allowed_networks == ["::1/128"]
    assert flags.filesystem_roots == [tmp_path]
    monkeypatch.delenv("BUCKETRY_ALLOWED_NETWORKS")
    monkeypatch.delenv("BUCKETRY_FILESYSTEM_ROOTS")
    assert Settings.from_env().allowed_networks == []
    assert Settings.from_env().filesystem_roots == []


def test_cli_flags(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bucketry_server.cli import _settings, build_parser

    args = build_parser().parse_args(
        [
            "serve",
            "--allowed-networks",
            "127.0.0.0/8,10.0.0.0/8",
            "--filesystem-root",
            str(tmp_path / "x"),
            "--filesystem-root",
            str(tmp_path / "y"),
        ]
    )
    s = _settings(args)
    assert s.allowed_networks == ["127.0.0.0/8", "10.0.0.0/8"]
    assert s.filesystem_roots == [tmp_path / "x", tmp_path / "y"]


def test_a_bad_allowed_network_fails_at_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bucketry_server.app import build_state

    settings = Settings(data_dir=tmp_path, allowed_networks=["not-a-cidr"])
    with pytest.raises(ValueError, match="not a CIDR"):
        build_state(settings)
