import { type ReactNode, createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, api, configureApi, navigate } from '@mes-messages/shared';
import type { Fund, Funds, Member, SessionEnded } from './types';
import { clearAllDrafts } from './draft';

interface SessionValue {
  /** undefined while the first check runs, null when nobody is logged in. */
  member: Member | null | undefined;
  fund: Fund | null;
  reload: () => Promise<Member | null>;
  logout: () => Promise<void>;
}

const SessionContext = createContext<SessionValue>({
  member: undefined,
  fund: null,
  reload: async () => null,
  logout: async () => undefined,
});

let fundsCache: Promise<Fund[]> | null = null;

export function loadFunds(): Promise<Fund[]> {
  fundsCache ??= api
    .get<Funds>('/api/auth/funds', { refreshOnUnauthorized: false })
    .then((answer) => answer.data)
    .catch((error) => {
      fundsCache = null;
      throw error;
    });
  return fundsCache;
}

export function loginPath(): string {
  const { pathname, search, hash } = window.location;
  const protectedPage = pathname.startsWith('/messages') || pathname.startsWith('/compte');
  // The fragment too: /compte#notifications, from an email, comes back to that section.
  return protectedPage ? `/connexion?retour=${encodeURIComponent(pathname + search + hash)}` : '/connexion';
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [member, setMember] = useState<Member | null | undefined>(undefined);
  const [fund, setFund] = useState<Fund | null>(null);

  const reload = useCallback(async () => {
    try {
      const me = await api.get<Member>('/api/auth/me');
      setMember(me);
      return me;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        setMember(null);
        return null;
      }
      setMember((previous) => previous ?? null);
      return null;
    }
  }, []);

  useEffect(() => {
    configureApi({
      refreshPath: '/api/auth/session/refresh',
      onUnauthenticated: () => {
        // The session ended (expired, revoked, logged out in another tab): what was being
        // written goes with it, as at logout, never left behind in this browser.
        clearAllDrafts();
        setMember(null);
        const target = loginPath();
        if (!window.location.pathname.startsWith('/connexion') && target !== '/connexion') navigate(target, { replace: true });
      },
    });
    void (async () => {
      try {
        const me = await api.get<Member>('/api/auth/me', { refreshOnUnauthorized: true });
        setMember(me);
      } catch (error) {
        // Back after the session ended: the drafts of that session do not outlive it.
        if (error instanceof ApiError && error.status === 401) clearAllDrafts();
        setMember(null);
      }
    })();
  }, []);

  useEffect(() => {
    if (!member?.fund) {
      setFund(null);
      return;
    }
    loadFunds()
      .then((funds) => setFund(funds.find((candidate) => candidate.code === member.fund) ?? null))
      .catch(() => setFund(null));
  }, [member?.fund]);

  const logout = useCallback(async () => {
    clearAllDrafts();
    let franceConnectLogout: string | null = null;
    try {
      const ended = await api.delete<SessionEnded>('/api/auth/session', { refreshOnUnauthorized: false });
      franceConnectLogout = ended.franceconnect_logout_url ?? null;
    } catch {
      // The session may be gone already; the page forgets it anyway.
    }
    setMember(null);
    if (franceConnectLogout) {
      // A FranceConnect session ends at FranceConnect too (a top-level navigation).
      window.location.assign(franceConnectLogout);
      return;
    }
    navigate('/connexion?deconnecte=1');
  }, []);

  const value = useMemo(() => ({ member, fund, reload, logout }), [member, fund, reload, logout]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  return useContext(SessionContext);
}
