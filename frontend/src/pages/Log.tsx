import { Badge, Button, Group, Select, SimpleGrid, Stack, Table, Text } from "@mantine/core";
import { DatePickerInput } from "@mantine/dates";
import { useState } from "react";
import { api, must, type Schemas } from "../api/client";
import { useI18n } from "../i18n";
import { Section, useApi } from "../lib";

type Message = Schemas["MessageOut"];
const STATUSES = ["scheduled", "queued", "sending", "sent", "delivered", "read", "failed", "invalid_number", "blocked", "skipped", "unknown"];

export default function Log() {
  const { t, status, dateTime } = useI18n();
  const initialCampaign = new URLSearchParams(window.location.search).get("campaign_id");
  const [statusFilter, setStatusFilter] = useState<string | null>(null);
  const [type, setType] = useState<string | null>(null);
  const [campaignId, setCampaignId] = useState<string | null>(initialCampaign);
  const [sessionId, setSessionId] = useState<string | null>(null);
  const [range, setRange] = useState<[string | null, string | null]>([null, null]);
  const [older, setOlder] = useState<Message[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const campaigns = useApi(() => must(api.GET("/api/v1/campaigns")), []);
  const sessions = useApi(() => must(api.GET("/api/v1/sessions")), []);

  const query = (from?: string | null) => ({
    status: statusFilter ? [statusFilter as Schemas["MessageStatus"]] : undefined,
    type: (type ?? undefined) as Schemas["MessageType"] | undefined,
    campaign_id: campaignId ? Number(campaignId) : undefined,
    session_id: sessionId ? Number(sessionId) : undefined,
    since: range[0] ? `${range[0]}T00:00:00` : undefined,
    until: range[1] ? `${range[1]}T23:59:59` : undefined,
    cursor: from ?? undefined,
    limit: 50,
  });
  const page = useApi(
    async () => {
      setOlder([]);
      const data = await must(api.GET("/api/v1/messages", { params: { query: query() } }));
      setCursor(data.next_cursor ?? null);
      return data;
    },
    [statusFilter, type, campaignId, sessionId, range[0], range[1]],
    5000,
  );
  const more = async () => {
    const data = await must(api.GET("/api/v1/messages", { params: { query: query(cursor) } }));
    setOlder([...older, ...data.items]);
    setCursor(data.next_cursor ?? null);
  };

  return (
    <Stack>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 5 }}>
        <Select label={t("log.status")} placeholder={t("log.all")} clearable value={statusFilter} onChange={setStatusFilter}
          data={STATUSES.map((s) => ({ value: s, label: status(s) }))} />
        <Select label={t("log.type")} placeholder={t("log.all")} clearable value={type} onChange={setType}
          data={["text", "image", "document"]} />
        <Select label={t("log.campaign")} placeholder={t("log.all")} clearable value={campaignId} onChange={setCampaignId}
          data={(campaigns.data ?? []).map((c) => ({ value: String(c.id), label: c.name }))} />
        <Select label={t("log.session")} placeholder={t("log.all")} clearable value={sessionId} onChange={setSessionId}
          data={(sessions.data ?? []).map((s) => ({ value: String(s.id), label: s.name }))} />
        <DatePickerInput type="range" label={`${t("log.since")} – ${t("log.until")}`} clearable value={range}
          onChange={(value) => setRange(value as [string | null, string | null])} />
      </SimpleGrid>
      <Section state={page}>
        {(data) => {
          const items = [...data.items, ...older];
          return items.length === 0 ? (
            <Text c="dimmed">{t("common.none")}</Text>
          ) : (
            <>
              <Table.ScrollContainer minWidth={600}>
                <Table striped aria-label={t("nav.log")}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t("log.when")}</Table.Th>
                      <Table.Th>{t("log.recipient")}</Table.Th>
                      <Table.Th>{t("log.type")}</Table.Th>
                      <Table.Th>{t("log.status")}</Table.Th>
                      <Table.Th>{t("log.reason")}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {items.map((m) => (
                      <Table.Tr key={m.id} data-testid="log-row">
                        <Table.Td>{dateTime(m.sent_at ?? m.due_at)}</Table.Td>
                        <Table.Td>{m.recipient}</Table.Td>
                        <Table.Td>{m.message_type}</Table.Td>
                        <Table.Td>
                          <Badge variant="light">{status(m.status)}</Badge>
                        </Table.Td>
                        <Table.Td>{m.status_reason ?? ""}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              {cursor && (
                <Group>
                  <Button variant="light" onClick={more}>
                    {t("log.more")}
                  </Button>
                </Group>
              )}
            </>
          );
        }}
      </Section>
    </Stack>
  );
}
