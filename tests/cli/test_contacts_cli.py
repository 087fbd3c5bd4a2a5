from __future__ import annotations

from pathlib import Path

from tests.contacts.test_samples import SAMPLES
from tests.helpers.processes import run_cli, zapflow_env


def test_import_a_sample_file_from_the_command_line(committed_url: str, tmp_path: Path) -> None:
    env = zapflow_env(tmp_path, committed_url, ZAPFLOW_NEW_PASSWORD="senha-do-pastor")
    assert (
        run_cli(
            ["users", "create-admin", "--email", "pastor@igreja.org", "--name", "Pastor"], env
        ).returncode
        == 0
    )
    report = tmp_path / "relatorio.csv"
    result = run_cli(
        [
            "contacts",
            "import",
            str(SAMPLES / "aniversariantes_excel.csv"),
            "--user",
            "pastor@igreja.org",
            "--list",
            "Aniversariantes",
            "--report",
            str(report),
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "read 121, imported 104, updated 0, unchanged 0, duplicates 1, rejected 16" in result.stdout
    )
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "linha;resultado;motivo;dados"
    assert len(lines) == 1 + 16 + 1  # rejected rows and the merged duplicate
    again = run_cli(
        [
            "contacts",
            "import",
            str(SAMPLES / "aniversariantes_excel.csv"),
            "--user",
            "pastor@igreja.org",
        ],
        env,
    )
    assert "imported 0, updated 0, unchanged 104" in again.stdout


def test_unknown_owner_and_unreadable_file_fail_clearly(committed_url: str, tmp_path: Path) -> None:
    env = zapflow_env(tmp_path, committed_url, ZAPFLOW_NEW_PASSWORD="senha-do-pastor")
    garbage = tmp_path / "foto.csv"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    unknown = run_cli(["contacts", "import", str(garbage), "--user", "ninguem@example.com"], env)
    assert unknown.returncode == 1 and "usuário não encontrado" in unknown.stderr
    assert (
        run_cli(["users", "create-admin", "--email", "p@igreja.org", "--name", "P"], env).returncode
        == 0
    )
    unreadable = run_cli(["contacts", "import", str(garbage), "--user", "p@igreja.org"], env)
    assert unreadable.returncode == 1
    assert "O arquivo não parece ser uma planilha ou CSV." in unreadable.stderr
