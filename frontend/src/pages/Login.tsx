import { Alert, Button, Center, Paper, PasswordInput, Stack, TextInput, Title } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { api, must, type Schemas } from "../api/client";
import { useI18n } from "../i18n";
import { errorText } from "../lib";
import { ApiError } from "../api/client";

export default function Login({ onLoggedIn }: { onLoggedIn: (user: Schemas["UserOut"]) => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const done = await must(api.POST("/api/v1/auth/login", { body: { email, password } }));
      onLoggedIn(done.user);
    } catch (reason) {
      setError(reason instanceof ApiError ? errorText(reason, t) : String(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" p="md">
      <Paper component="main" withBorder p="lg" w="100%" maw={380}>
        <form onSubmit={submit}>
          <Stack>
            <Title order={1} size="h3">
              {t("login.title")}
            </Title>
            {error && (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            )}
            <TextInput
              label={t("login.email")}
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
            />
            <PasswordInput
              label={t("login.password")}
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy}>
              {t("login.submit")}
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
