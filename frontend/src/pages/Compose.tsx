import {
  Alert, Button, FileInput, Group, MultiSelect, NumberInput, Paper, Popover, SegmentedControl,
  Select, SimpleGrid, Stack, Text, TextInput, Textarea, Title,
} from "@mantine/core";
import { DateTimePicker, TimeInput } from "@mantine/dates";
import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import EmojiPicker, { EmojiStyle } from "emoji-picker-react";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError, api, must, upload, type Schemas } from "../api/client";
import { useI18n } from "../i18n";
import { errorText, navigate, useApi } from "../lib";

type Source = "list" | "csv" | "typed";

function typedNumbers(text: string): string[] {
  return text.split(/[,;\n]+/).map((s) => s.trim()).filter(Boolean);
}

export default function Compose() {
  const { t, dateTime } = useI18n();
  const sessions = useApi(() => must(api.GET("/api/v1/sessions")), []);
  const lists = useApi(() => must(api.GET("/api/v1/lists")), []);
  const [name, setName] = useState("");
  const [sessionIds, setSessionIds] = useState<string[]>([]);
  const [source, setSource] = useState<Source>("typed");
  const [listId, setListId] = useState<string | null>(null);
  const [csv, setCsv] = useState<File | null>(null);
  const [numbers, setNumbers] = useState("");
  const [text, setText] = useState("");
  const [media, setMedia] = useState<Schemas["MediaOut"] | null>(null);
  const [mediaFile, setMediaFile] = useState<File | null>(null);
  const [previewTo, setPreviewTo] = useState("");
  const [scheduledAt, setScheduledAt] = useState<string | null>(null);
  const [minDelay, setMinDelay] = useState<number>(8);
  const [maxDelay, setMaxDelay] = useState<number>(25);
  const [windowStart, setWindowStart] = useState("");
  const [windowEnd, setWindowEnd] = useState("");
  const [busy, setBusy] = useState(false);
  const textArea = useRef<HTMLTextAreaElement>(null);

  const fail = (error: unknown) => notifications.show({ color: "red", message: errorText(error as ApiError, t) });

  // Live preview for a real recipient (their contact's name and columns).
  const [previewInput] = useDebouncedValue({ to: previewTo || typedNumbers(numbers)[0] || "", text }, 400);
  const [preview, setPreview] = useState<Schemas["zapflow__messages__schemas__PreviewOut"] | string>();
  useEffect(() => {
    if (!previewInput.text || previewInput.to.length < 8) return setPreview(undefined);
    must(api.POST("/api/v1/messages/preview", { body: { to: previewInput.to, text: previewInput.text } }))
      .then(setPreview)
      .catch((error: ApiError) => setPreview(errorText(error, t)));
  }, [previewInput, t]);

  const recipients =
    source === "typed"
      ? typedNumbers(numbers).length
      : source === "list"
        ? (lists.data?.find((l) => String(l.id) === listId)?.member_count ?? 0)
        : 0;

  // What the pacing implies: the ETA for these sessions, caps, delays and window.
  const [etaInput] = useDebouncedValue({ sessionIds, recipients, minDelay, maxDelay, windowStart, windowEnd, scheduledAt }, 400);
  const [eta, setEta] = useState<Schemas["EtaOut"]>();
  useEffect(() => {
    if (etaInput.sessionIds.length === 0) return setEta(undefined);
    const window = etaInput.windowStart && etaInput.windowEnd;
    must(
      api.POST("/api/v1/campaigns/estimate", {
        body: {
          session_ids: etaInput.sessionIds.map(Number),
          recipients: etaInput.recipients,
          min_delay_seconds: etaInput.minDelay,
          max_delay_seconds: Math.max(etaInput.minDelay, etaInput.maxDelay),
          send_window_start: window ? etaInput.windowStart : null,
          send_window_end: window ? etaInput.windowEnd : null,
          scheduled_at: etaInput.scheduledAt ? etaInput.scheduledAt.replace(" ", "T") : null,
        },
      }),
    )
      .then(setEta)
      .catch(() => setEta(undefined));
  }, [etaInput]);

  const chooseMedia = async (file: File | null) => {
    setMediaFile(file);
    setMedia(null);
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    try {
      setMedia(await upload<Schemas["MediaOut"]>("/api/v1/media", form));
    } catch (error) {
      setMediaFile(null);
      fail(error);
    }
  };

  const insertEmoji = (emoji: string) => {
    const area = textArea.current;
    const at = area?.selectionStart ?? text.length;
    setText(text.slice(0, at) + emoji + text.slice(at));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const window = windowStart && windowEnd;
    const campaign = {
      name,
      session_ids: sessionIds.map(Number),
      text: text || null,
      media_id: media?.id ?? null,
      scheduled_at: scheduledAt ? scheduledAt.replace(" ", "T") : null,
      min_delay_seconds: minDelay,
      max_delay_seconds: maxDelay,
      send_window_start: window ? windowStart : null,
      send_window_end: window ? windowEnd : null,
    };
    try {
      if (source === "csv") {
        if (!csv) throw new ApiError(t("compose.fromCsv"), 422);
        const form = new FormData();
        form.append("file", csv);
        form.append("campaign", JSON.stringify(campaign));
        await upload("/api/v1/campaigns/csv", form);
      } else {
        const audience = source === "list" ? { list_id: Number(listId) } : { numbers };
        await must(api.POST("/api/v1/campaigns", { body: { ...campaign, ...audience } }));
      }
      notifications.show({ color: "teal", message: t("compose.created") });
      navigate("/campanhas");
    } catch (error) {
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit}>
      <Stack maw={900}>
        <Paper withBorder p="md">
          <Stack>
            <TextInput label={t("compose.name")} required value={name} onChange={(e) => setName(e.currentTarget.value)} />
            <MultiSelect
              label={t("compose.sessions")}
              required
              data={(sessions.data ?? []).map((s) => ({ value: String(s.id), label: `${s.name} (${t(`status.${s.status}` as never)})` }))}
              value={sessionIds}
              onChange={setSessionIds}
            />
            <Text size="sm" fw={500} id="recipients-label">
              {t("compose.recipients")}
            </Text>
            <SegmentedControl
              aria-labelledby="recipients-label"
              value={source}
              onChange={(v) => setSource(v as Source)}
              data={[
                { value: "typed", label: t("compose.typed") },
                { value: "list", label: t("compose.fromList") },
                { value: "csv", label: t("compose.fromCsv") },
              ]}
            />
            {source === "typed" && (
              <Textarea label={t("compose.numbers")} autosize minRows={2} value={numbers} onChange={(e) => setNumbers(e.currentTarget.value)} required />
            )}
            {source === "list" && (
              <Select
                label={t("compose.fromList")}
                required
                data={(lists.data ?? []).map((l) => ({ value: String(l.id), label: `${l.name} (${l.member_count})` }))}
                value={listId}
                onChange={setListId}
              />
            )}
            {source === "csv" && <FileInput label={t("contacts.file")} accept=".csv,.tsv,.txt,.xlsx" value={csv} onChange={setCsv} required />}
          </Stack>
        </Paper>
        <Paper withBorder p="md">
          <Stack>
            <Textarea
              ref={textArea}
              label={t("compose.text")}
              description={t("compose.textHelp")}
              autosize
              minRows={4}
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
            />
            <Group>
              <Popover position="bottom-start" trapFocus>
                <Popover.Target>
                  <Button variant="light" size="xs">
                    😀 {t("compose.emoji")}
                  </Button>
                </Popover.Target>
                <Popover.Dropdown p={0}>
                  <EmojiPicker emojiStyle={EmojiStyle.NATIVE} onEmojiClick={(e) => insertEmoji(e.emoji)} lazyLoadEmojis />
                </Popover.Dropdown>
              </Popover>
            </Group>
            <FileInput label={t("compose.media")} accept="image/jpeg,image/png,image/webp,.pdf,.docx,.xlsx,.pptx" value={mediaFile} onChange={chooseMedia} clearable />
            <TextInput label={t("compose.preview")} placeholder="(11) 98765-4321" value={previewTo} onChange={(e) => setPreviewTo(e.currentTarget.value)} />
            {preview && (
              <Alert color={typeof preview === "string" ? "red" : "teal"} variant="light" data-testid="preview">
                {typeof preview === "string" ? (
                  preview
                ) : (
                  <>
                    <Text style={{ whiteSpace: "pre-wrap" }}>{preview.text}</Text>
                    {preview.missing.length > 0 && (
                      <Text size="xs" c="dimmed">
                        {t("compose.previewMissing")}: {preview.missing.join(", ")}
                      </Text>
                    )}
                  </>
                )}
              </Alert>
            )}
          </Stack>
        </Paper>
        <Paper withBorder p="md">
          <Stack>
            <Title order={3} size="h5">
              {t("compose.pacing")}
            </Title>
            <DateTimePicker label={t("compose.schedule")} clearable value={scheduledAt} onChange={setScheduledAt} />
            <SimpleGrid cols={{ base: 2, sm: 4 }}>
              <NumberInput label={t("compose.minDelay")} min={0} max={3600} value={minDelay} onChange={(v) => setMinDelay(Number(v) || 0)} />
              <NumberInput label={t("compose.maxDelay")} min={0} max={3600} value={maxDelay} onChange={(v) => setMaxDelay(Number(v) || 0)} />
              <TimeInput label={t("compose.windowStart")} value={windowStart} onChange={(e) => setWindowStart(e.currentTarget.value)} />
              <TimeInput label={t("compose.windowEnd")} value={windowEnd} onChange={(e) => setWindowEnd(e.currentTarget.value)} />
            </SimpleGrid>
            {eta && (
              <Text size="sm" data-testid="eta">
                {eta.finishes_at
                  ? `${t("compose.eta")}: ${dateTime(eta.finishes_at)} · ${Math.round(eta.per_hour)} ${t("compose.perHour")}`
                  : t("compose.noEta")}
              </Text>
            )}
          </Stack>
        </Paper>
        <Group>
          <Button type="submit" loading={busy}>
            {t("compose.send")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
