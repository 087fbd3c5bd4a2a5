from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from zapflow.config import Settings


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


@pytest.mark.parametrize("secret", [None, "", "change-me", "changeme", "curta-demais"])
def test_production_refuses_placeholder_or_short_secrets(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="ZAPFLOW_SECRET_KEY"):
        settings(env="production", secret_key=secret)


def test_production_accepts_a_real_secret() -> None:
    loaded = settings(env="production", secret_key="k" * 48)
    assert loaded.is_production and loaded.secure_cookies


def test_development_generates_a_local_secret_once(tmp_path: Path) -> None:
    first = settings(data_dir=tmp_path).resolved_secret_key()
    second = settings(data_dir=tmp_path).resolved_secret_key()
    assert first == second and len(first) >= 48
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_explicit_secret_wins_over_the_generated_one(tmp_path: Path) -> None:
    assert settings(data_dir=tmp_path, secret_key="s" * 40).resolved_secret_key() == "s" * 40
    assert not (tmp_path / "secret_key").exists()


def test_a_placeholder_secret_in_development_is_replaced_by_a_local_one(tmp_path: Path) -> None:
    resolved = settings(data_dir=tmp_path, secret_key="change-me").resolved_secret_key()
    assert resolved != "change-me" and len(resolved) >= 48
    assert (tmp_path / "secret_key").read_text().strip() == resolved


def test_database_url_must_be_postgresql() -> None:
    with pytest.raises(ValidationError, match="PostgreSQL"):
        settings(DATABASE_URL="sqlite:///zapflow.db")


def test_empty_database_url_means_embedded() -> None:
    assert settings(DATABASE_URL="").database_url is None


@pytest.mark.parametrize(
    ("field", "value"), [("port", 0), ("log_level", "LOUD"), ("log_format", "xml")]
)
def test_bad_values_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        settings(**{field: value})


def test_environment_and_dotenv_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "ZAPFLOW_PORT=9123\nDATABASE_URL=postgresql://u@h/db\nZAPFLOW_LOG_LEVEL=debug\n"
    )
    monkeypatch.setenv("ZAPFLOW_PORT", "9200")  # the environment wins over .env
    loaded = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert loaded.port == 9200
    assert loaded.database_url == "postgresql://u@h/db"
    assert loaded.log_level == "DEBUG"


def test_env_example_documents_every_setting() -> None:
    example = (Path(__file__).parent.parent / ".env.example").read_text()
    for name, field in Settings.model_fields.items():
        variable = (
            field.validation_alias
            if isinstance(field.validation_alias, str)
            else f"ZAPFLOW_{name.upper()}"
        )
        assert variable in example, f"{variable} is not documented in .env.example"
