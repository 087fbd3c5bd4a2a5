import { Button, Group, Modal, Text } from "@mantine/core";
import { useState, type ReactNode } from "react";
import { useI18n } from "../i18n";

// A button that asks before doing something that cannot be taken back.
export function ConfirmButton({
  label,
  question,
  onConfirm,
  color,
  children,
}: {
  label: string;
  question: string;
  onConfirm: () => Promise<unknown> | void;
  color?: string;
  children?: ReactNode;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      setOpen(false);
    }
  };
  return (
    <>
      <Button size="xs" variant="light" color={color} onClick={() => setOpen(true)}>
        {children ?? label}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={label} centered>
        <Text mb="md">{question}</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setOpen(false)}>
            {t("common.cancel")}
          </Button>
          <Button color={color} loading={busy} onClick={confirm} data-autofocus>
            {t("common.confirm")}
          </Button>
        </Group>
      </Modal>
    </>
  );
}
