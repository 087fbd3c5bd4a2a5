import { Badge, Button, Card, Group, Progress, Stack, Text } from "@mantine/core";
import { api, must, type Schemas } from "../api/client";
import { ConfirmButton } from "../components/Confirm";
import { useI18n } from "../i18n";
import { Section, navigate, useAction, useApi } from "../lib";

type Campaign = Schemas["CampaignOut"];
const DONE = ["sent", "delivered", "read", "failed", "invalid_number", "blocked", "skipped", "unknown"];
const COLORS: Record<string, string> = { running: "teal", scheduled: "blue", paused: "yellow", completed: "gray", cancelled: "red" };

export default function Campaigns() {
  const { t } = useI18n();
  const state = useApi(() => must(api.GET("/api/v1/campaigns")), [], 2000);
  return (
    <Stack>
      <Group>
        <Button onClick={() => navigate("/nova")}>{t("nav.compose")}</Button>
      </Group>
      <Section state={state}>
        {(items) =>
          items.length === 0 ? (
            <Text c="dimmed">{t("common.none")}</Text>
          ) : (
            <Stack>
              {items.map((c) => (
                <CampaignCard key={c.id} campaign={c} changed={state.reload} />
              ))}
            </Stack>
          )
        }
      </Section>
    </Stack>
  );
}

function CampaignCard({ campaign, changed }: { campaign: Campaign; changed: () => void }) {
  const { t, status, dateTime } = useI18n();
  const done = DONE.reduce((sum, s) => sum + (campaign.counts[s] ?? 0), 0);
  const share = campaign.total ? Math.round((done / campaign.total) * 100) : 0;
  const path = { params: { path: { campaign_id: campaign.id } } };
  const act = useAction(changed);
  const active = ["running", "scheduled"].includes(campaign.status);
  return (
    <Card withBorder data-testid={`campaign-${campaign.id}`} aria-label={campaign.name}>
      <Group justify="space-between" mb="xs" wrap="wrap">
        <Text fw={600}>{campaign.name}</Text>
        <Badge color={COLORS[campaign.status] ?? "gray"} data-testid="campaign-status">
          {status(campaign.status)}
        </Badge>
      </Group>
      <Progress value={share} aria-label={t("campaigns.progress")} mb="xs" />
      <Text size="sm" mb="xs">
        {done}/{campaign.total} ·{" "}
        {Object.entries(campaign.counts)
          .map(([s, n]) => `${status(s)} ${n}`)
          .join(" · ")}
      </Text>
      {campaign.eta?.finishes_at && (
        <Text size="sm" c="dimmed">
          {t("campaigns.eta")}: {dateTime(campaign.eta.finishes_at)}
        </Text>
      )}
      <Group gap="xs" mt="sm">
        {active && (
          <Button size="xs" variant="light" onClick={() => act(api.POST("/api/v1/campaigns/{campaign_id}/pause", path))}>
            {t("campaigns.pause")}
          </Button>
        )}
        {campaign.status === "paused" && (
          <Button size="xs" variant="light" onClick={() => act(api.POST("/api/v1/campaigns/{campaign_id}/resume", path))}>
            {t("campaigns.resume")}
          </Button>
        )}
        {(active || campaign.status === "paused") && (
          <ConfirmButton
            label={t("campaigns.cancel")}
            question={t("campaigns.confirmCancel")}
            color="red"
            onConfirm={() => act(api.POST("/api/v1/campaigns/{campaign_id}/cancel", path))}
          />
        )}
        <Button size="xs" variant="subtle" onClick={() => navigate(`/historico?campaign_id=${campaign.id}`)}>
          {t("nav.log")}
        </Button>
      </Group>
    </Card>
  );
}
