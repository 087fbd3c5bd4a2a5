from __future__ import annotations

from pathlib import Path

from tests.helpers.processes import run_cli, zapflow_env


def test_create_admin_then_list_and_refuse_a_duplicate(committed_url: str, tmp_path: Path) -> None:
    env = zapflow_env(tmp_path, committed_url, ZAPFLOW_NEW_PASSWORD="senha-da-diretora")
    created = run_cli(
        ["users", "create-admin", "--email", "diretora@escola.com.br", "--name", "Diretora"], env
    )
    assert created.returncode == 0, created.stderr
    assert "created admin diretora@escola.com.br" in created.stdout
    listed = run_cli(["users", "list"], env)
    assert "diretora@escola.com.br\tadmin\tactive" in listed.stdout
    again = run_cli(
        ["users", "create-admin", "--email", "DIRETORA@escola.com.br", "--name", "Outra"], env
    )
    assert again.returncode == 1
    assert "Já existe um usuário" in again.stderr
    assert "senha-da-diretora" not in created.stdout + created.stderr + listed.stderr


def test_create_admin_refuses_a_short_password(committed_url: str, tmp_path: Path) -> None:
    env = zapflow_env(tmp_path, committed_url, ZAPFLOW_NEW_PASSWORD="curta")
    result = run_cli(["users", "create-admin", "--email", "a@example.com", "--name", "A"], env)
    assert result.returncode == 2
    assert "password" in result.stderr


def test_production_refuses_to_start_with_a_placeholder_secret(
    committed_url: str, tmp_path: Path
) -> None:
    env = zapflow_env(
        tmp_path, committed_url, ZAPFLOW_ENV="production", ZAPFLOW_SECRET_KEY="change-me"
    )
    result = run_cli(["db", "upgrade"], env)
    assert result.returncode == 2
    assert "ZAPFLOW_SECRET_KEY" in result.stderr
