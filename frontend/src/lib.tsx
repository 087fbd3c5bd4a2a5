// Small shared pieces: a path router, a data hook with loading/error/retry/polling, and the
// loading and error states every page shows.
import { Alert, Button, Center, Group, Loader, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useCallback, useEffect, useRef, useState, type DependencyList } from "react";
import { ApiError, must } from "./api/client";
import { useI18n } from "./i18n";

const listeners = new Set<() => void>();
window.addEventListener("popstate", () => listeners.forEach((fn) => fn()));

export function navigate(path: string) {
  window.history.pushState(null, "", path);
  listeners.forEach((fn) => fn());
}

export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const update = () => setPath(window.location.pathname);
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return path;
}

type Loaded<T> = {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
};

export function useApi<T>(load: () => Promise<T>, deps: DependencyList, pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    run()
      .then((value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
      })
      .catch((reason: unknown) => {
        if (mine !== generation.current) return;
        setError(reason instanceof ApiError ? reason : new ApiError(String(reason), 0));
      })
      .finally(() => mine === generation.current && setLoading(false));
  }, [run]);
  useEffect(() => {
    setLoading(true);
    reload();
    if (!pollMs) return;
    const timer = window.setInterval(reload, pollMs);
    return () => window.clearInterval(timer);
  }, [reload, pollMs]);
  return { data, error, loading, reload };
}

export function errorText(error: ApiError, t: ReturnType<typeof useI18n>["t"]): string {
  if (error.message === "timeout") return t("common.timeout");
  if (error.message === "network") return t("common.network");
  return error.message;
}

export function ErrorState({ error, retry }: { error: ApiError; retry?: () => void }) {
  const { t } = useI18n();
  return (
    <Alert color="red" title={t("common.error")} role="alert">
      <Group justify="space-between" wrap="wrap">
        <Text size="sm">{errorText(error, t)}</Text>
        {retry && (
          <Button size="xs" variant="light" color="red" onClick={retry}>
            {t("common.retry")}
          </Button>
        )}
      </Group>
    </Alert>
  );
}

export function Loading() {
  const { t } = useI18n();
  return (
    <Center p="xl" aria-busy="true">
      <Loader size="sm" aria-label={t("common.loading")} />
    </Center>
  );
}

// Shows loading, then the error (with retry), then the content.
export function Section<T>({ state, children }: { state: Loaded<T>; children: (data: T) => React.ReactNode }) {
  if (state.data === undefined && state.error) return <ErrorState error={state.error} retry={state.reload} />;
  if (state.data === undefined) return <Loading />;
  return (
    <>
      {state.error && <ErrorState error={state.error} retry={state.reload} />}
      {children(state.data)}
    </>
  );
}

// Runs an API action from a button: on success `done()` (usually a reload), on failure a
// notification with the server's sentence.
export function useAction(done: () => void) {
  const { t } = useI18n();
  return async (call: Promise<{ response: Response; error?: unknown }>) => {
    try {
      await must(call);
      done();
    } catch (error) {
      notifications.show({ color: "red", message: errorText(error as ApiError, t) });
    }
  };
}
