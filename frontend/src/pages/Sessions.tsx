import { Badge, Button, Card, Group, Image, NumberInput, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useEffect, useState, type FormEvent } from "react";
import { ApiError, api, must, type Schemas } from "../api/client";
import { ConfirmButton } from "../components/Confirm";
import { useI18n } from "../i18n";
import { Section, errorText, useAction, useApi } from "../lib";

type Session = Schemas["SessionOut"];

const COLORS: Record<string, string> = {
  open: "teal",
  qr: "yellow",
  connecting: "blue",
  closed: "orange",
  banned: "red",
  logged_out: "gray",
  disconnected: "gray",
};

export default function Sessions() {
  const { t } = useI18n();
  const state = useApi(() => must(api.GET("/api/v1/sessions")), [], 3000);
  const [name, setName] = useState("");
  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await must(api.POST("/api/v1/sessions", { body: { name } }));
      setName("");
      state.reload();
    } catch (error) {
      notifications.show({ color: "red", message: errorText(error as ApiError, t) });
    }
  };
  return (
    <Stack>
      <form onSubmit={create}>
        <Group align="flex-end">
          <TextInput
            label={t("sessions.name")}
            required
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <Button type="submit">{t("sessions.create")}</Button>
        </Group>
      </form>
      <Section state={state}>
        {(sessions) =>
          sessions.length === 0 ? (
            <Text c="dimmed">{t("common.none")}</Text>
          ) : (
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
              {sessions.map((s) => (
                <SessionCard key={s.id} session={s} changed={state.reload} />
              ))}
            </SimpleGrid>
          )
        }
      </Section>
    </Stack>
  );
}

function SessionCard({ session, changed }: { session: Session; changed: () => void }) {
  const { t, dateTime } = useI18n();
  const [live, setLive] = useState({ status: session.status, qr: "" });
  const [phone, setPhone] = useState("");
  const [pairing, setPairing] = useState<string | null>(session.pairing_code ?? null);
  const [cap, setCap] = useState<number | string>(session.hourly_cap ?? "");

  // Live status and QR: the server pushes each change (SSE); the QR image follows.
  useEffect(() => {
    const source = new EventSource(`/api/v1/sessions/${session.id}/stream`);
    source.addEventListener("status", (event) => {
      const data = JSON.parse((event as MessageEvent).data);
      setLive({ status: data.status, qr: data.qr ?? "" });
      if (data.pairing_code) setPairing(data.pairing_code);
    });
    return () => source.close();
  }, [session.id]);

  const status = live.status ?? session.status;
  const act = useAction(changed);
  const askPairing = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const out = await must(
        api.POST("/api/v1/sessions/{session_id}/pairing-code", {
          params: { path: { session_id: session.id } },
          body: { phone },
        }),
      );
      if (out.code) setPairing(out.code);
    } catch (error) {
      notifications.show({ color: "red", message: errorText(error as ApiError, t) });
    }
  };
  const path = { params: { path: { session_id: session.id } } };

  return (
    <Card withBorder padding="md" aria-label={session.name} data-testid={`session-${session.id}`}>
      <Group justify="space-between" mb="xs">
        <Text fw={600}>{session.name}</Text>
        <Badge color={COLORS[status] ?? "gray"} variant="light" data-testid="session-status">
          {t(`status.${status}` as never) ?? status}
        </Badge>
      </Group>
      <Stack gap="xs">
        {session.phone && <Text size="sm">{session.phone}</Text>}
        {session.paused_until && (
          <Text size="sm" c="orange.9">
            {t("sessions.paused")} {dateTime(session.paused_until)} ({session.pause_reason})
          </Text>
        )}
        {status === "qr" && (
          <>
            <Text size="sm">{t("sessions.scan")}</Text>
            <Image
              src={`/api/v1/sessions/${session.id}/qr.svg?v=${encodeURIComponent(live.qr)}`}
              alt="QR code"
              w={200}
              h={200}
            />
            {session.engine === "simulator" && (
              <Button
                size="xs"
                variant="outline"
                onClick={() => act(api.POST("/api/v1/simulator/sessions/{session_id}/scan", { ...path, body: {} }))}
              >
                {t("sessions.simulateScan")}
              </Button>
            )}
            <form onSubmit={askPairing}>
              <Group align="flex-end" gap="xs">
                <TextInput
                  size="xs"
                  label={t("sessions.pairingPhone")}
                  placeholder="(11) 98765-4321"
                  value={phone}
                  onChange={(e) => setPhone(e.currentTarget.value)}
                  required
                />
                <Button size="xs" type="submit" variant="light">
                  {t("sessions.pairingAsk")}
                </Button>
              </Group>
            </form>
            {pairing && (
              <Text size="sm">
                {t("sessions.pairingCode")}: <strong data-testid="pairing-code">{pairing}</strong>
              </Text>
            )}
          </>
        )}
        <Group gap="xs" align="flex-end">
          <NumberInput
            size="xs"
            w={140}
            label={t("sessions.caps")}
            placeholder="20"
            min={1}
            max={10000}
            value={cap}
            onChange={setCap}
          />
          <Button
            size="xs"
            variant="light"
            onClick={() =>
              act(
                api.PATCH("/api/v1/sessions/{session_id}", {
                  ...path,
                  body: { hourly_cap: cap === "" ? null : Number(cap) },
                }),
              )
            }
          >
            {t("common.save")}
          </Button>
        </Group>
        <Group gap="xs" mt="xs">
          <ConfirmButton
            label={t("sessions.restart")}
            question={t("sessions.confirmRestart")}
            onConfirm={() => act(api.POST("/api/v1/sessions/{session_id}/restart", path))}
          />
          <ConfirmButton
            label={t("sessions.logout")}
            question={t("sessions.confirmLogout")}
            color="orange"
            onConfirm={() => act(api.POST("/api/v1/sessions/{session_id}/logout", path))}
          />
          <ConfirmButton
            label={t("sessions.delete")}
            question={t("sessions.confirmDelete")}
            color="red"
            onConfirm={() => act(api.DELETE("/api/v1/sessions/{session_id}", path))}
          />
        </Group>
      </Stack>
    </Card>
  );
}
