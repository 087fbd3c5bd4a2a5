"""Campaigns, single messages and opt-outs from the command line, as an operator would."""

from __future__ import annotations

from pathlib import Path

from tests.contacts.test_samples import SAMPLES
from tests.helpers.processes import run_cli, zapflow_env
from tests.sessions.helpers import make_owner


def test_campaigns_messages_and_opt_outs_from_the_command_line(
    committed_url: str, tmp_path: Path
) -> None:
    make_owner(committed_url, email="loja@exemplo.com.br")
    env = zapflow_env(tmp_path, committed_url)
    user = ["--user", "loja@exemplo.com.br"]
    created = run_cli(["sessions", "create", "Chip 1", *user], env)
    assert created.returncode == 0, created.stderr
    sid = created.stdout.split()[-1]

    opted = run_cli(["optouts", "add", "(11) 98765-4321", *user, "--note", "pediu"], env)
    assert opted.returncode == 0, opted.stderr
    listed = run_cli(["optouts", "list", *user], env)
    assert "+5511987654321\tmanual\tpediu" in listed.stdout

    campaign = run_cli(
        [
            "campaigns",
            "create",
            *user,
            "--name",
            "Natal",
            "--session",
            sid,
            "--text",
            "Oi {{nome}}",
            "--numbers",
            "11987654321, 21 98888-7777",
            "--window",
            "08:00-20:00",
        ],
        env,
    )
    assert campaign.returncode == 0, campaign.stderr
    cid = campaign.stdout.split("\t")[0]
    assert "running\tNatal\tqueued 1, skipped 1" in campaign.stdout

    from_csv = run_cli(
        [
            "campaigns",
            "create",
            *user,
            "--name",
            "Aniversários",
            "--session",
            sid,
            "--text",
            "Parabéns",
            "--csv",
            str(SAMPLES / "aniversariantes_excel.csv"),
            "--at",
            "2099-12-24T09:00",
        ],
        env,
    )
    assert from_csv.returncode == 0, from_csv.stderr
    assert "scheduled\tAniversários\tscheduled 104" in from_csv.stdout
    assert "16 linha(s) rejeitada(s)" in from_csv.stdout

    paused = run_cli(["campaigns", "pause", cid, *user], env)
    assert paused.returncode == 0 and f"{cid}\tpaused" in paused.stdout
    cancelled = run_cli(["campaigns", "cancel", cid, *user], env)
    assert "cancelled\tNatal\tskipped 2" in cancelled.stdout
    again = run_cli(["campaigns", "resume", cid, *user], env)
    assert again.returncode == 1 and "cancelled" in again.stderr

    sent = run_cli(
        ["messages", "send", *user, "--session", sid, "--to", "21988887777", "--text", "Olá 👋"],
        env,
    )
    assert sent.returncode == 0 and '"status": "queued"' in sent.stdout
    bad = run_cli(["messages", "send", *user, "--session", sid, "--to", "123", "--text", "x"], env)
    assert bad.returncode == 1 and "123" in bad.stderr
    stranger = run_cli(["campaigns", "list", "--user", "ninguem@exemplo.com"], env)
    assert stranger.returncode == 1 and "não encontrado" in stranger.stderr
