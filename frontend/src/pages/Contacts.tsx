import { Anchor, Badge, Button, FileInput, Group, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { ApiError, api, must, upload, type Schemas } from "../api/client";
import { useI18n } from "../i18n";
import { Section, errorText, useApi } from "../lib";

type Preview = Schemas["zapflow__contacts__schemas__PreviewOut"];
type Imported = Schemas["ImportOut"];
const ROLES = ["phone", "name", "birth_date"] as const;

export default function Contacts() {
  const { t } = useI18n();
  const lists = useApi(() => must(api.GET("/api/v1/lists")), []);
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<Preview>();
  const [mapping, setMapping] = useState<Record<string, string | null>>({});
  const [listName, setListName] = useState("");
  const [result, setResult] = useState<Imported>();
  const [busy, setBusy] = useState(false);

  const fail = (error: unknown) =>
    notifications.show({ color: "red", message: errorText(error as ApiError, t) });

  const choose = async (chosen: File | null) => {
    setFile(chosen);
    setPreview(undefined);
    setResult(undefined);
    if (!chosen) return;
    const form = new FormData();
    form.append("file", chosen);
    try {
      const found = await upload<Preview>("/api/v1/contacts/imports/preview", form);
      setPreview(found);
      setMapping(found.mapping);
      setListName(chosen.name.replace(/\.[^.]+$/, ""));
    } catch (error) {
      fail(error);
    }
  };

  const runImport = async () => {
    if (!file) return;
    setBusy(true);
    const form = new FormData();
    form.append("file", file);
    if (listName) form.append("list_name", listName);
    const chosen = Object.fromEntries(Object.entries(mapping).filter(([, v]) => v));
    form.append("mapping", JSON.stringify(chosen));
    try {
      setResult(await upload<Imported>("/api/v1/contacts/imports", form));
      lists.reload();
    } catch (error) {
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack>
      <Paper withBorder p="md">
        <Stack>
          <Title order={3} size="h5">
            {t("contacts.upload")}
          </Title>
          <FileInput
            label={t("contacts.file")}
            accept=".csv,.tsv,.txt,.xlsx"
            value={file}
            onChange={choose}
            clearable
          />
          {preview && (
            <>
              <Text size="sm" c="dimmed">
                {t("contacts.encoding")}: {preview.encoding ?? "—"} · «{preview.delimiter ?? ""}»
              </Text>
              <SimpleGrid cols={{ base: 1, sm: 3 }}>
                {ROLES.map((role) => (
                  <Select
                    key={role}
                    label={t(role === "phone" ? "contacts.phoneColumn" : role === "name" ? "contacts.nameColumn" : "contacts.birthColumn")}
                    data={preview.headers}
                    value={mapping[role] ?? null}
                    onChange={(value) => setMapping({ ...mapping, [role]: value })}
                    clearable={role !== "phone"}
                  />
                ))}
              </SimpleGrid>
              <Title order={4} size="h6">
                {t("contacts.preview")}
              </Title>
              <Table.ScrollContainer minWidth={400}>
                <Table striped withTableBorder aria-label={t("contacts.preview")}>
                  <Table.Thead>
                    <Table.Tr>
                      {preview.headers.map((h) => (
                        <Table.Th key={h}>{h}</Table.Th>
                      ))}
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {preview.rows.slice(preview.has_header ? 1 : 0).map((row, i) => (
                      <Table.Tr key={i}>
                        {row.map((cell, j) => (
                          <Table.Td key={j}>{cell}</Table.Td>
                        ))}
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              <Group align="flex-end">
                <TextInput label={t("contacts.list")} value={listName} onChange={(e) => setListName(e.currentTarget.value)} />
                <Button onClick={runImport} loading={busy}>
                  {t("contacts.import")}
                </Button>
              </Group>
            </>
          )}
        </Stack>
      </Paper>
      {result && <ImportResult result={result} />}
      <Paper withBorder p="md">
        <Title order={3} size="h5" mb="sm">
          {t("contacts.lists")}
        </Title>
        <Section state={lists}>
          {(items) =>
            items.length === 0 ? (
              <Text c="dimmed">{t("common.none")}</Text>
            ) : (
              <Stack gap={4}>
                {items.map((l) => (
                  <Group key={l.id} justify="space-between">
                    <Text>{l.name}</Text>
                    <Badge variant="light">{l.member_count}</Badge>
                  </Group>
                ))}
              </Stack>
            )
          }
        </Section>
      </Paper>
    </Stack>
  );
}

function ImportResult({ result }: { result: Imported }) {
  const { t } = useI18n();
  const counts = result.counts;
  const figures: [string, number][] = [
    [t("contacts.read"), counts.read],
    [t("contacts.imported"), counts.imported],
    [t("contacts.updated"), counts.updated],
    [t("contacts.duplicates"), counts.duplicates],
    [t("contacts.rejected"), counts.rejected],
  ];
  return (
    <Paper withBorder p="md" data-testid="import-result">
      <Title order={3} size="h5" mb="sm">
        {t("contacts.result")}
      </Title>
      <Group mb="sm">
        {figures.map(([label, value]) => (
          <Badge key={label} size="lg" variant="light" color={label === t("contacts.rejected") && value ? "red" : "teal"}>
            {label}: <span data-testid={`count-${label}`}>{value}</span>
          </Badge>
        ))}
      </Group>
      {result.problems.length > 0 && (
        <Table.ScrollContainer minWidth={400}>
          <Table withTableBorder aria-label={t("contacts.rejected")}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("contacts.line")}</Table.Th>
                <Table.Th>{t("contacts.reason")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {result.problems.map((p) => (
                <Table.Tr key={`${p.line}-${p.outcome}`}>
                  <Table.Td>{p.line}</Table.Td>
                  <Table.Td>{p.reason}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Anchor href={result.report_url} download mt="sm" display="inline-block">
        {t("contacts.download")}
      </Anchor>
    </Paper>
  );
}
