import { AppShell, Burger, Button, Group, NavLink, SegmentedControl, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useEffect, useState } from "react";
import { api, type Schemas } from "./api/client";
import { useI18n, type Language } from "./i18n";
import { Loading, navigate, usePath } from "./lib";
import Campaigns from "./pages/Campaigns";
import Compose from "./pages/Compose";
import Contacts from "./pages/Contacts";
import Home from "./pages/Home";
import Log from "./pages/Log";
import Login from "./pages/Login";
import Sessions from "./pages/Sessions";

type User = Schemas["UserOut"];

const PAGES = [
  { path: "/", key: "nav.home", page: Home },
  { path: "/sessoes", key: "nav.sessions", page: Sessions },
  { path: "/contatos", key: "nav.contacts", page: Contacts },
  { path: "/nova", key: "nav.compose", page: Compose },
  { path: "/campanhas", key: "nav.campaigns", page: Campaigns },
  { path: "/historico", key: "nav.log", page: Log },
] as const;

export default function App() {
  const { t, language, setLanguage } = useI18n();
  const path = usePath();
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [opened, { toggle, close }] = useDisclosure();

  useEffect(() => {
    api
      .GET("/api/v1/auth/me")
      .then(({ data }) => setUser(data ?? null))
      .catch(() => setUser(null));
  }, []);

  if (user === undefined) return <Loading />;
  if (user === null) return <Login onLoggedIn={setUser} />;

  const current = PAGES.find((p) => p.path === path) ?? PAGES[0];
  const Page = current.page;
  const logout = async () => {
    await api.POST("/api/v1/auth/logout").catch(() => undefined);
    setUser(null);
    navigate("/");
  };

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={1} size="h3">
              {t("app.name")}
            </Title>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <SegmentedControl
              size="xs"
              aria-label={t("nav.language")}
              value={language}
              onChange={(value) => setLanguage(value as Language)}
              data={[
                { value: "pt-BR", label: "PT" },
                { value: "en", label: "EN" },
              ]}
            />
            <Button size="xs" variant="subtle" onClick={logout}>
              {t("nav.logout")}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Menu">
        {PAGES.map((page) => (
          <NavLink
            key={page.path}
            href={page.path}
            label={t(page.key)}
            active={page.path === current.path}
            aria-current={page.path === current.path ? "page" : undefined}
            onClick={(event) => {
              event.preventDefault();
              navigate(page.path);
              close();
            }}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Title order={2} size="h3" mb="md">
          {t(current.key)}
        </Title>
        <Page />
      </AppShell.Main>
    </AppShell>
  );
}
