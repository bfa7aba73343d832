import { type ReactNode, createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, api, configureApi, navigate } from '@mes-messages/shared';
import type { Agent, Profile } from './types';

interface SessionValue {
  agent: Agent | null | undefined;
  reload: () => Promise<Agent | null>;
  logout: () => Promise<void>;
}

const SessionContext = createContext<SessionValue>({ agent: undefined, reload: async () => null, logout: async () => undefined });

export const BASE = '/backoffice';

export function loginPath(): string {
  const { pathname, search } = window.location;
  if (pathname.startsWith(`${BASE}/connexion`)) return `${BASE}/connexion`;
  return `${BASE}/connexion?retour=${encodeURIComponent(pathname + search)}`;
}

async function fetchAgent(): Promise<Agent | null> {
  try {
    const me = await api.get<Profile>('/api/auth/me');
    return me.kind === 'agent' ? me : null;
  } catch (error) {
    if (error instanceof ApiError) return null;
    throw error;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [agent, setAgent] = useState<Agent | null | undefined>(undefined);
  const reload = useCallback(async () => {
    const found = await fetchAgent().catch(() => null);
    setAgent(found);
    return found;
  }, []);
  useEffect(() => {
    configureApi({
      app: 'backoffice',
      refreshPath: '/api/auth/session/refresh',
      onUnauthenticated: () => {
        setAgent(null);
        if (!window.location.pathname.startsWith(`${BASE}/connexion`)) navigate(loginPath(), { replace: true });
      },
    });
    void reload();
  }, [reload]);
  const logout = useCallback(async () => {
    try {
      await api.delete('/api/auth/session', { refreshOnUnauthorized: false });
    } catch {
      // already gone
    }
    setAgent(null);
    navigate(`${BASE}/connexion?deconnecte=1`);
  }, []);
  const value = useMemo(() => ({ agent, reload, logout }), [agent, reload, logout]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  return useContext(SessionContext);
}

export function isSupervisor(agent: Agent | null | undefined): boolean {
  return agent?.role === 'supervisor' || agent?.role === 'admin';
}
