import { BarChart } from "@mantine/charts";
import { Badge, Card, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { api, must } from "../api/client";
import { useI18n } from "../i18n";
import { Section, useApi } from "../lib";

export default function Home() {
  const { t, status } = useI18n();
  const state = useApi(() => must(api.GET("/api/v1/reports/overview", { params: { query: { days: 7 } } })), [], 15_000);
  return (
    <Section state={state}>
      {(data) => (
        <Stack>
          <SimpleGrid cols={{ base: 2, md: 4 }}>
            <Figure label={t("home.sentToday")} value={String(data.sent_today)} />
            <Figure label={t("home.scheduled")} value={String(data.scheduled)} />
            <Figure label={t("home.queued")} value={String(data.queued)} />
            <Figure
              label={t("home.successRate")}
              value={data.success_rate === null ? "—" : `${Math.round(data.success_rate * 1000) / 10}%`}
            />
          </SimpleGrid>
          <Paper withBorder p="md">
            <Title order={3} size="h5" mb="sm">
              {t("home.chart")}
            </Title>
            <BarChart
              h={220}
              data={data.daily.map((d) => ({ day: d.day.slice(5), sent: d.sent, failed: d.failed }))}
              dataKey="day"
              series={[
                { name: "sent", label: t("home.sent"), color: "teal.7" },
                { name: "failed", label: t("home.failed"), color: "red.7" },
              ]}
              withLegend
            />
          </Paper>
          <Paper withBorder p="md">
            <Title order={3} size="h5" mb="sm">
              {t("home.perSession")}
            </Title>
            <Table.ScrollContainer minWidth={320}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t("log.session")}</Table.Th>
                    <Table.Th>{t("log.status")}</Table.Th>
                    <Table.Th>{t("home.sent")}</Table.Th>
                    <Table.Th>{t("home.failed")}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.sessions.map((s) => (
                    <Table.Tr key={s.session_id}>
                      <Table.Td>{s.name}</Table.Td>
                      <Table.Td>
                        <Badge variant="light">{t(`status.${s.status}` as never) ?? status(s.status)}</Badge>
                      </Table.Td>
                      <Table.Td>{s.sent}</Table.Td>
                      <Table.Td>{s.failed}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Paper>
        </Stack>
      )}
    </Section>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <Card withBorder>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text size="xl" fw={700}>
        {value}
      </Text>
    </Card>
  );
}
