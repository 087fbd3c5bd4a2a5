"""The dashboard in a real Chromium (Debian's, through Playwright's `executable_path`; nothing
is downloaded), against a real API and worker on the simulator: log in, connect a session by
scanning its QR, import the sample spreadsheet and check its rejected-rows report, send a
campaign with an image and a template and watch it finish, find a message in the log.
Screenshots of each page go to test-artifacts/dashboard/ (git-ignored)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, Route, async_playwright, expect

from tests.campaigns.helpers import numbers, settings_for
from tests.campaigns.test_campaign_api import PNG
from tests.contacts.test_samples import SAMPLES, truth
from tests.sessions.helpers import eventually, make_owner, running_worker, served_api

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def go(page: Page, label: str) -> None:
    await page.get_by_role("navigation").get_by_role("link", name=label).click()


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is needed: apt-get install chromium (.ci/run does)")
    return str(CHROMIUM)


async def test_a_newcomer_does_everything_from_the_browser(
    committed_url: str, tmp_path: Path, chromium_path: str
) -> None:
    settings = settings_for(committed_url, tmp_path, send_delay_ms=(0, 0))
    make_owner(committed_url, email="dona@loja.com.br")
    recipients = numbers(settings, exist=True, count=3)
    image = tmp_path / "promo.png"
    image.write_bytes(PNG)
    outside: list[str] = []

    async def only_local(route: Route) -> None:
        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            await route.continue_()
        else:  # the panel must not reach the internet (fonts, CDNs, emoji images...)
            outside.append(route.request.url)
            await route.abort()

    async with (
        served_api(settings) as client,
        running_worker(settings),
        async_playwright() as playwright,
    ):
        browser = await playwright.chromium.launch(executable_path=chromium_path, args=FLAGS)
        context = await browser.new_context(base_url=str(client.base_url), locale="pt-BR")
        context.set_default_timeout(TIMEOUT_MS)
        await context.route("**/*", only_local)
        page = await context.new_page()
        try:
            await log_in(page)
            await connect_session(page)
            await import_sample(page)
            await send_campaign(page, recipients, image)
            await pause_resume_cancel(page, numbers(settings, exist=True, count=6)[3:])
            await campaign_from_spreadsheet(page)
            await find_in_log(page, recipients[0])
            await check_phone_width(context)
        finally:
            await shot(page, "last")
            await browser.close()
    assert outside == []


async def log_in(page: Page) -> None:
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Entrar no Zapflow")).to_be_visible()
    await page.get_by_label("E-mail").fill("dona@loja.com.br")
    await page.get_by_label("Senha").fill("senha errada")
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.get_by_role("alert")).to_contain_text("incorretos")
    await shot(page, "login")
    await page.get_by_label("Senha").fill("senha-da-dona-1")
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.get_by_text("Enviadas hoje")).to_be_visible()
    await shot(page, "home")


async def connect_session(page: Page) -> None:
    await go(page, "Sessões")
    await page.get_by_label("Nome da sessão").fill("Loja Centro")
    await page.get_by_role("button", name="Criar").click()
    card = page.get_by_label("Loja Centro")
    await expect(card.get_by_test_id("session-status")).to_have_text("Aguardando QR")
    qr = card.get_by_role("img", name="QR code")
    await expect(qr).to_be_visible()
    first_code = await qr.get_attribute("src")
    await expect(qr).not_to_have_attribute("src", str(first_code))  # a new code arrives live
    await shot(page, "sessions-qr")
    await card.get_by_role("button", name="Simular leitura (simulador)").click()
    await expect(card.get_by_test_id("session-status")).to_have_text("Conectada")
    await card.get_by_label("Limite por hora").fill("50")
    await card.get_by_role("button", name="Salvar").click()
    await eventually(lambda: _hourly_cap_is(page, 50))
    await shot(page, "sessions-open")


async def _hourly_cap_is(page: Page, cap: int) -> bool:
    sessions = await (await page.request.get("/api/v1/sessions")).json()
    return bool(sessions[0]["hourly_cap"] == cap)


async def import_sample(page: Page) -> None:
    rows = truth("aniversariantes_excel")
    rejected = sum(r["phone"] is None for r in rows)
    await go(page, "Contatos")
    await page.locator('input[type="file"]').first.set_input_files(
        str(SAMPLES / "aniversariantes_excel.csv")
    )
    preview = page.get_by_role("table", name="Prévia das primeiras linhas")
    await expect(preview).to_be_visible()
    first = truth("aniversariantes_excel")[0]
    await expect(preview.get_by_role("row").nth(1)).to_contain_text(str(first["name"]))
    await page.get_by_label("Lista (nome)").fill("Aniversariantes")
    await page.get_by_role("button", name="Importar").click()
    result = page.get_by_test_id("import-result")
    await expect(result.get_by_test_id("count-Rejeitadas")).to_have_text(str(rejected))
    await expect(result.get_by_role("table", name="Rejeitadas")).to_be_visible()
    await shot(page, "contacts-import")
    link = result.get_by_role("link", name="Baixar relatório das linhas")
    report = await page.request.get(str(await link.get_attribute("href")))
    assert report.ok
    lines = (await report.text()).splitlines()
    assert sum(";rejected;" in line for line in lines) == rejected


async def send_campaign(page: Page, recipients: list[str], image: Path) -> None:
    await go(page, "Nova mensagem")
    await page.get_by_label("Nome da campanha").fill("Promoção de Natal")
    await page.get_by_role("combobox", name="Sessões que vão enviar").click(force=True)
    await page.get_by_role("option", name=re.compile("Loja Centro")).click()
    await page.keyboard.press("Escape")
    await page.get_by_label("Números (separados por vírgula ou linha)").fill(", ".join(recipients))
    message = page.get_by_label("Mensagem")
    await message.fill("{Olá|Oi} {{nome}}, feliz Natal! ")
    await page.get_by_role("button", name="😀 Emoji").click()
    await page.locator('button[aria-label="grinning face"]').first.click()
    await expect(message).to_have_value("{Olá|Oi} {{nome}}, feliz Natal! 😀")
    await page.keyboard.press("Escape")
    await page.locator('input[type="file"]').first.set_input_files(str(image))
    # the preview uses a real contact's data: one imported from the sample a moment ago
    contact = next(r for r in truth("aniversariantes_excel") if r["phone"] and r["name"])
    await page.get_by_label("Prévia para").fill(str(contact["phone"]))
    await expect(page.get_by_test_id("preview")).to_contain_text(
        re.compile(rf"(Olá|Oi) {re.escape(str(contact['name']))}, feliz Natal! 😀")
    )
    await page.get_by_label("Pausa mínima (s)").fill("0")
    await page.get_by_label("Pausa máxima (s)").fill("0")
    await expect(page.get_by_test_id("eta")).to_contain_text("Previsão de término")
    await shot(page, "compose")
    await page.get_by_role("button", name="Criar campanha").click()
    card = page.get_by_label("Promoção de Natal")
    await expect(card.get_by_test_id("campaign-status")).to_have_text("Concluída", timeout=60_000)
    await expect(card).to_contain_text("3/3")
    await shot(page, "campaigns")


async def pause_resume_cancel(page: Page, recipients: list[str]) -> None:
    await go(page, "Nova mensagem")
    await page.get_by_label("Nome da campanha").fill("Aviso lento")
    await page.get_by_role("combobox", name="Sessões que vão enviar").click(force=True)
    await page.get_by_role("option", name=re.compile("Loja Centro")).click()
    await page.keyboard.press("Escape")
    await page.get_by_label("Números (separados por vírgula ou linha)").fill(", ".join(recipients))
    await page.get_by_label("Mensagem").fill("Aviso: amanhã fechamos às 14h.")
    await page.get_by_label("Pausa mínima (s)").fill("30")
    await page.get_by_label("Pausa máxima (s)").fill("30")
    await page.get_by_role("button", name="Criar campanha").click()
    card = page.get_by_label("Aviso lento")
    status = card.get_by_test_id("campaign-status")
    await expect(status).to_have_text("Enviando")
    await expect(card).to_contain_text("1/3")  # the first left; the next waits 30 s
    await card.get_by_role("button", name="Pausar").click()
    await expect(status).to_have_text("Pausada")
    await card.get_by_role("button", name="Retomar").click()
    await expect(status).to_have_text("Enviando")
    await card.get_by_role("button", name="Cancelar campanha").click()
    await page.get_by_role("dialog").get_by_role("button", name="Confirmar").click()
    await expect(status).to_have_text("Cancelada")
    await expect(card).to_contain_text("Não enviada 2")  # the two still waiting
    await shot(page, "campaigns-cancelled")


async def campaign_from_spreadsheet(page: Page) -> None:
    rows = truth("aniversariantes_excel")
    valid = {str(r["phone"]) for r in rows if r["phone"] is not None}
    await go(page, "Nova mensagem")
    await page.get_by_label("Nome da campanha").fill("Aniversários de dezembro")
    await page.get_by_role("combobox", name="Sessões que vão enviar").click(force=True)
    await page.get_by_role("option", name=re.compile("Loja Centro")).click()
    await page.keyboard.press("Escape")
    await page.get_by_text("Planilha", exact=True).click()
    await page.locator('input[type="file"]').first.set_input_files(
        str(SAMPLES / "aniversariantes_excel.csv")
    )
    await page.get_by_label("Mensagem").fill("Parabéns, {{primeiro_nome}}! 🎂")
    await page.get_by_label("Pausa mínima (s)").fill("60")
    await page.get_by_label("Pausa máxima (s)").fill("90")
    await page.get_by_role("button", name="Criar campanha").click()
    card = page.get_by_label("Aniversários de dezembro")
    await expect(card).to_contain_text(f"/{len(valid)}")  # one message per valid number
    await card.get_by_role("button", name="Cancelar campanha").click()
    await page.get_by_role("dialog").get_by_role("button", name="Confirmar").click()
    await expect(card.get_by_test_id("campaign-status")).to_have_text("Cancelada")


async def find_in_log(page: Page, recipient: str) -> None:
    await go(page, "Histórico")
    await page.get_by_role("combobox", name="Campanha").click(force=True)
    await page.get_by_role("option", name="Promoção de Natal").click()
    await expect(page.get_by_test_id("log-row")).to_have_count(3)
    row = page.get_by_test_id("log-row").filter(has_text=recipient)
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text(re.compile("Enviada|Entregue|Lida"))
    await expect(row).to_contain_text("image")
    await page.get_by_role("combobox", name="Status").click(force=True)
    await page.get_by_role("option", name="Falhou").click()
    await expect(page.get_by_text("Nada por aqui ainda.")).to_be_visible()
    await shot(page, "log")


async def check_phone_width(context) -> None:  # type: ignore[no-untyped-def]
    page = await context.new_page()
    await page.set_viewport_size({"width": 375, "height": 740})
    for path, name in (
        ("/", "home"),
        ("/sessoes", "sessions"),
        ("/nova", "compose"),
        ("/campanhas", "campaigns"),
        ("/historico", "log"),
        ("/contatos", "contacts"),
    ):
        await page.goto(path)
        await expect(page.get_by_role("heading", level=2)).to_be_visible()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} scrolls sideways at 375 px ({width} px)"
        await shot(page, f"phone-{name}")
    await page.get_by_role("button", name="Menu").click()
    await expect(page.get_by_role("navigation").get_by_role("link", name="Sessões")).to_be_visible()
    await page.get_by_text("EN", exact=True).click()  # English, and it sticks
    await expect(
        page.get_by_role("navigation").get_by_role("link", name="Sessions")
    ).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("heading", level=2)).to_have_text("Contacts")
