"""--web.config.file validation: every bad file fails at start-up with a clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from exporters.common.web import WebConfigError, load_web_config

from .certs import TLSFiles, make_tls_files

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "bad_web_configs.yaml").read_text()
)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_config_is_refused_with_a_clear_error(
    case: dict[str, Any], tls: TLSFiles, tmp_path: Path
) -> None:
    text = case["config"]
    for key, value in {"{cert}": tls.server_cert, "{key}": tls.server_key, "{ca}": tls.ca}.items():
        text = text.replace(key, str(value))
    path = tmp_path / "web.yml"
    path.write_text(text)
    with pytest.raises(WebConfigError) as info:
        load_web_config(path)
    assert case["error"] in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WebConfigError, match="cannot read"):
        load_web_config(tmp_path / "absent.yml")


def test_no_file_and_empty_file_mean_plain_http(tmp_path: Path) -> None:
    assert load_web_config(None).tls is None
    assert load_web_config("").basic_auth_users == {}
    (tmp_path / "empty.yml").write_text("")
    assert load_web_config(tmp_path / "empty.yml").tls is None


def test_full_config_relative_paths(tls: TLSFiles) -> None:
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()
    path = tls.ca.parent / "web.yml"
    path.write_text(
        "tls_server_config:\n"
        f"  cert_file: {tls.server_cert.name}\n"
        f"  key_file: {tls.server_key.name}\n"
        "  client_auth_type: RequireAndVerifyClientCert\n"
        f"  client_ca_file: {tls.ca.name}\n"
        "  client_allowed_sans: [client.example]\n"
        "  min_version: TLS12\n  max_version: TLS13\n"
        "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n"
        "http_server_config:\n  headers:\n    x-frame-options: deny\n"
        f"basic_auth_users:\n  alice: '{hashed}'\n"
    )
    config = load_web_config(path)
    assert config.tls is not None and config.tls.cert_file == tls.server_cert
    assert config.headers == {"X-Frame-Options": "deny"}
    assert config.basic_auth_users == {"alice": hashed.encode()}
