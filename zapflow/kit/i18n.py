"""A small message catalogue: pt-BR first, English second. Keys are stable; texts are for people."""

from __future__ import annotations

from typing import Any

DEFAULT_LOCALE = "pt-BR"

CATALOGUE: dict[str, dict[str, str]] = {
    "auth.invalid_credentials": {
        "pt-BR": "E-mail ou senha incorretos.",
        "en": "Wrong e-mail or password.",
    },
    "auth.locked": {
        "pt-BR": "Muitas tentativas de login. Tente de novo em {retry_after} segundos.",
        "en": "Too many login attempts. Try again in {retry_after} seconds.",
    },
    "auth.required": {
        "pt-BR": "Faça login ou envie uma chave de API (cabeçalho Authorization: Bearer).",
        "en": "Log in, or send an API key (Authorization: Bearer header).",
    },
    "auth.invalid_api_key": {
        "pt-BR": "Chave de API inválida, revogada ou expirada.",
        "en": "The API key is invalid, revoked or expired.",
    },
    "auth.session_expired": {
        "pt-BR": "Sua sessão expirou. Faça login de novo.",
        "en": "Your session has expired. Please log in again.",
    },
    "auth.csrf": {
        "pt-BR": "Falta o cabeçalho X-CSRF-Token, ou ele não confere. Recarregue a página.",
        "en": "The X-CSRF-Token header is missing or wrong. Reload the page.",
    },
    "auth.admin_only": {
        "pt-BR": "Só um administrador pode fazer isso.",
        "en": "Only an administrator can do this.",
    },
    "auth.inactive": {
        "pt-BR": "Esta conta está desativada.",
        "en": "This account is disabled.",
    },
    "auth.wrong_current_password": {
        "pt-BR": "A senha atual não confere.",
        "en": "The current password is wrong.",
    },
    "rate_limit.exceeded": {
        "pt-BR": "Muitas requisições. Tente de novo em {retry_after} segundos.",
        "en": "Too many requests. Try again in {retry_after} seconds.",
    },
    "users.email_taken": {
        "pt-BR": "Já existe um usuário com o e-mail {email}.",
        "en": "A user with the e-mail {email} already exists.",
    },
    "users.cannot_demote_self": {
        "pt-BR": "Você não pode tirar o seu próprio papel de administrador nem se desativar.",
        "en": "You cannot remove your own administrator role or disable yourself.",
    },
    "not_found": {
        "pt-BR": "{resource} não encontrado.",
        "en": "{resource} not found.",
    },
    "resource.api_key": {"pt-BR": "Chave de API", "en": "API key"},
    "resource.user": {"pt-BR": "Usuário", "en": "User"},
    "resource.audit_entry": {"pt-BR": "Registro de auditoria", "en": "Audit entry"},
    "import.empty_file": {"pt-BR": "O arquivo está vazio.", "en": "The file is empty."},
    "import.legacy_xls": {
        "pt-BR": "Planilhas .xls antigas não são aceitas: salve como .xlsx ou CSV.",
        "en": "Old .xls spreadsheets are not accepted: save as .xlsx or CSV.",
    },
    "import.binary_file": {
        "pt-BR": "O arquivo não parece ser uma planilha ou CSV.",
        "en": "The file does not look like a spreadsheet or CSV.",
    },
    "import.bad_encoding": {
        "pt-BR": "O arquivo diz estar em {encoding}, mas tem bytes inválidos nessa codificação.",
        "en": "The file claims to be {encoding} but holds bytes invalid in it.",
    },
    "import.bad_csv": {
        "pt-BR": "CSV malformado na linha {line}: {problem}.",
        "en": "Malformed CSV at line {line}: {problem}.",
    },
    "import.bad_xlsx": {
        "pt-BR": "Não foi possível ler a planilha .xlsx (arquivo danificado?).",
        "en": "The .xlsx spreadsheet could not be read (damaged file?).",
    },
    "import.no_phone_column": {
        "pt-BR": "Nenhuma coluna de telefone encontrada. Colunas: {columns}. "
        "Indique qual é o telefone no mapeamento de colunas.",
        "en": "No phone column found. Columns: {columns}. Say which one is the phone in the "
        "column mapping.",
    },
    "import.unknown_column": {
        "pt-BR": "A coluna '{column}' indicada para {role} não existe. Colunas: {columns}.",
        "en": "The column '{column}' given for {role} does not exist. Columns: {columns}.",
    },
    "import.too_large": {
        "pt-BR": "Arquivo grande demais: o limite é {limit_mb} MB.",
        "en": "File too large: the limit is {limit_mb} MB.",
    },
    "import.too_many_numbers": {
        "pt-BR": "Texto longo demais: no máximo {limit} números por vez.",
        "en": "Text too long: at most {limit} numbers at a time.",
    },
    "import.duplicate_of": {
        "pt-BR": "mesmo telefone ({phone}) da linha {line}: dados unidos a ela",
        "en": "same phone ({phone}) as line {line}: merged into it",
    },
    "media.unsupported_type": {
        "pt-BR": "Tipo de arquivo não aceito: envie JPEG, PNG ou WebP (imagens) ou PDF, DOCX, "
        "XLSX ou PPTX (documentos).",
        "en": "File type not accepted: send JPEG, PNG or WebP (images) or PDF, DOCX, XLSX or "
        "PPTX (documents).",
    },
    "media.too_large": {
        "pt-BR": "Arquivo grande demais: o limite é {limit_mb} MB.",
        "en": "File too large: the limit is {limit_mb} MB.",
    },
    "media.bad_url": {
        "pt-BR": "Endereço de mídia inválido: use um link http:// ou https://.",
        "en": "Invalid media address: use an http:// or https:// link.",
    },
    "media.url_private": {
        "pt-BR": "O link da mídia aponta para um endereço interno da rede, que não é permitido.",
        "en": "The media link points to an internal network address, which is not allowed.",
    },
    "media.url_unreachable": {
        "pt-BR": "Não foi possível baixar a mídia do link ({problem}). Confira o endereço.",
        "en": "Could not download the media from the link ({problem}). Check the address.",
    },
    "media.url_failed": {
        "pt-BR": "O link da mídia respondeu com erro ({status}). Confira o endereço.",
        "en": "The media link answered with an error ({status}). Check the address.",
    },
    "resource.campaign": {"pt-BR": "Campanha", "en": "Campaign"},
    "campaigns.bad_transition": {
        "pt-BR": "A campanha está '{status}': não é possível {action}.",
        "en": "The campaign is '{status}': it cannot {action}.",
    },
    "campaigns.bad_numbers": {
        "pt-BR": "{count} número(s) inválido(s): {problems}. Corrija e envie de novo.",
        "en": "{count} invalid number(s): {problems}. Fix them and send again.",
    },
    "campaigns.no_recipients": {
        "pt-BR": "A campanha não tem destinatários: a lista está vazia ou nenhum número é válido.",
        "en": "The campaign has no recipients: the list is empty or no number is valid.",
    },
    "campaigns.bad_timezone": {
        "pt-BR": "Fuso horário desconhecido: '{zone}' (ex.: America/Sao_Paulo).",
        "en": "Unknown time zone: '{zone}' (e.g. America/Sao_Paulo).",
    },
    "campaigns.bad_csv_form": {
        "pt-BR": "Campo 'campaign' inválido: {problem}.",
        "en": "Invalid 'campaign' field: {problem}.",
    },
    "optouts.exists": {
        "pt-BR": "O número {phone} já está na lista de descadastro.",
        "en": "The number {phone} is already on the opt-out list.",
    },
    "resource.opt_out": {"pt-BR": "Descadastro", "en": "Opt-out"},
    "resource.number_failure": {"pt-BR": "Falha", "en": "Failure"},
    "resource.media": {"pt-BR": "Arquivo", "en": "File"},
    "resource.message": {"pt-BR": "Mensagem", "en": "Message"},
    "messages.bad_template": {
        "pt-BR": "Modelo inválido: {problem}.",
        "en": "Invalid template: {problem}.",
    },
    "messages.bad_cursor": {
        "pt-BR": "Cursor de paginação inválido: use o next_cursor da página anterior.",
        "en": "Invalid page cursor: use the previous page's next_cursor.",
    },
    "resource.contact": {"pt-BR": "Contato", "en": "Contact"},
    "resource.contact_list": {"pt-BR": "Lista", "en": "List"},
    "resource.contact_import": {"pt-BR": "Importação", "en": "Import"},
    "contacts.phone_taken": {
        "pt-BR": "Já existe um contato com o telefone {phone}.",
        "en": "A contact with the phone {phone} already exists.",
    },
    "contacts.list_name_taken": {
        "pt-BR": "Já existe uma lista chamada '{name}'.",
        "en": "A list named '{name}' already exists.",
    },
    "contacts.invalid_phone": {
        "pt-BR": "Telefone '{raw}' inválido: {problem}.",
        "en": "Invalid phone '{raw}': {problem}.",
    },
    "contacts.invalid_birth_date": {"pt-BR": "{problem}.", "en": "{problem}."},
    "resource.session": {"pt-BR": "Sessão", "en": "Session"},
    "resource.qr": {
        "pt-BR": "QR code (a sessão não está aguardando leitura agora)",
        "en": "QR code (the session is not waiting for a scan now)",
    },
    "sessions.name_taken": {
        "pt-BR": "Você já tem uma sessão chamada '{name}'.",
        "en": "You already have a session named '{name}'.",
    },
    "sessions.simulator_disabled": {
        "pt-BR": "O simulador está desativado nesta instalação.",
        "en": "The simulator is disabled on this install.",
    },
    "sessions.not_simulator": {
        "pt-BR": "Esta sessão não usa o simulador.",
        "en": "This session does not use the simulator.",
    },
    "sessions.not_running": {
        "pt-BR": "Nenhum worker está com esta sessão agora. Reinicie a sessão e tente de novo.",
        "en": "No worker is running this session now. Restart it and try again.",
    },
    "sessions.already_open": {
        "pt-BR": "A sessão já está conectada.",
        "en": "The session is already connected.",
    },
    "sessions.starting": {"pt-BR": "Iniciando a sessão.", "en": "Starting the session."},
    "sessions.restarting": {"pt-BR": "Reiniciando a sessão.", "en": "Restarting the session."},
    "sessions.logging_out": {"pt-BR": "Desconectando o número.", "en": "Logging the number out."},
    "sessions.logged_out": {"pt-BR": "Número desconectado.", "en": "Number logged out."},
    "sessions.fault_sent": {
        "pt-BR": "Falha enviada ao simulador.",
        "en": "Fault sent to the simulator.",
    },
    "sessions.scanned": {
        "pt-BR": "QR lido: a sessão vai conectar.",
        "en": "QR scanned: the session will connect.",
    },
    "sessions.bad_pairing_code": {
        "pt-BR": "Código de pareamento incorreto ou expirado.",
        "en": "Wrong or expired pairing code.",
    },
    "http.not_found": {
        "pt-BR": "Endereço não encontrado.",
        "en": "No such address.",
    },
    "http.method_not_allowed": {
        "pt-BR": "Método não permitido neste endereço.",
        "en": "Method not allowed at this address.",
    },
    "http.error": {"pt-BR": "A requisição não pôde ser atendida.", "en": "The request failed."},
    "validation.invalid_json": {
        "pt-BR": "O corpo da requisição não é um JSON válido ({message}).",
        "en": "The request body is not valid JSON ({message}).",
    },
    "validation.failed": {
        "pt-BR": "Dados inválidos: {problems}",
        "en": "Invalid data: {problems}",
    },
    "server.error": {
        "pt-BR": "Erro interno. Informe o código {request_id} ao suporte.",
        "en": "Internal error. Give the code {request_id} to support.",
    },
    "db.unavailable": {
        "pt-BR": "O banco de dados está indisponível no momento. Tente de novo em instantes.",
        "en": "The database is unavailable right now. Try again shortly.",
    },
}

_VALIDATION_TEXTS: dict[str, dict[str, str]] = {
    "missing": {"pt-BR": "campo obrigatório", "en": "field required"},
    "extra_forbidden": {"pt-BR": "campo desconhecido", "en": "unknown field"},
    "string_type": {"pt-BR": "deve ser um texto", "en": "must be a string"},
    "int_parsing": {"pt-BR": "deve ser um número inteiro", "en": "must be an integer"},
    "int_type": {"pt-BR": "deve ser um número inteiro", "en": "must be an integer"},
    "bool_parsing": {"pt-BR": "deve ser true ou false", "en": "must be true or false"},
    "bool_type": {"pt-BR": "deve ser true ou false", "en": "must be true or false"},
    "string_too_short": {
        "pt-BR": "muito curto (mínimo {min_length})",
        "en": "too short (at least {min_length})",
    },
    "string_too_long": {
        "pt-BR": "muito longo (máximo {max_length})",
        "en": "too long (at most {max_length})",
    },
    "value_error": {"pt-BR": "{message}", "en": "{message}"},
    "enum": {"pt-BR": "deve ser um de: {expected}", "en": "must be one of: {expected}"},
    "literal_error": {"pt-BR": "deve ser um de: {expected}", "en": "must be one of: {expected}"},
    "model_attributes_type": {"pt-BR": "deve ser um objeto JSON", "en": "must be a JSON object"},
    "dict_type": {"pt-BR": "deve ser um objeto JSON", "en": "must be a JSON object"},
}


def pick_locale(accept_language: str | None) -> str:
    """The first supported language in an Accept-Language header; pt-BR when none matches."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("pt"):
            return "pt-BR"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def translate(key: str, locale: str, **params: Any) -> str:
    texts = CATALOGUE.get(key)
    if texts is None:
        return key
    template = texts.get(locale) or texts[DEFAULT_LOCALE]
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


def error_location(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ()) if part != "body")


def describe_validation_problem(error: dict[str, Any], locale: str) -> str:
    """What is wrong with one field, in the caller's language (`campo obrigatório`)."""
    context = dict(error.get("ctx") or {})
    context["message"] = str(context.get("error") or error.get("msg", ""))
    texts = _VALIDATION_TEXTS.get(str(error.get("type")))
    if texts is None:
        text = str(error.get("msg", ""))
    else:
        try:
            text = (texts.get(locale) or texts[DEFAULT_LOCALE]).format(**context)
        except (KeyError, IndexError):
            text = str(error.get("msg", ""))
    return text


def describe_validation_error(error: dict[str, Any], locale: str) -> str:
    """One pydantic error as `campo 'email': campo obrigatório`."""
    location, text = error_location(error), describe_validation_problem(error, locale)
    label = "campo" if locale == "pt-BR" else "field"
    return f"{label} '{location}': {text}" if location else text
