import { type ReactNode, useEffect } from 'react';
import { Footer, Header, Loading, PageHeading, SkipLinks, matchPath, navigate, useLocation } from '@mes-messages/shared';
import { BASE, isSupervisor, loginPath, useSession } from './session';
import { LoginPage } from './pages/Login';
import { QueuePage } from './pages/Queue';
import { ThreadPage } from './pages/Thread';
import { CannedRepliesPage } from './pages/CannedReplies';
import { CatalogPage } from './pages/Catalog';
import { DashboardPage } from './pages/Dashboard';
import { AgentsPage } from './pages/Agents';
import { PasswordResetPage } from './pages/PasswordReset';
import { SecurityTrailPage } from './pages/SecurityTrail';

export const APP_TITLE = 'Back office - Mes messages et mes réponses';

function RequireAgent({ children, allowed = true }: { children: ReactNode; allowed?: boolean }) {
  const { agent } = useSession();
  useEffect(() => {
    if (agent === null) navigate(loginPath(), { replace: true });
  }, [agent]);
  if (!agent) return <Loading label="Vérification de votre connexion…" />;
  if (!allowed)
    return (
      <>
        <PageHeading>Accès réservé</PageHeading>
        <p>Votre profil ne permet pas d’ouvrir cette page.</p>
      </>
    );
  return <>{children}</>;
}

export function App() {
  const { pathname } = useLocation();
  const { agent, logout } = useSession();
  let page: ReactNode;
  const thread = matchPath(`${BASE}/demandes/:threadId`, pathname);
  if (pathname === `${BASE}/connexion`) page = <LoginPage />;
  else if (pathname === `${BASE}/mot-de-passe/nouveau`) page = <PasswordResetPage />;
  else if (pathname === `${BASE}/` || pathname === BASE)
    page = (
      <RequireAgent>
        <QueuePage />
      </RequireAgent>
    );
  else if (thread)
    page = (
      <RequireAgent>
        <ThreadPage key={thread.threadId} threadId={thread.threadId!} />
      </RequireAgent>
    );
  else if (pathname === `${BASE}/reponses-types`)
    page = (
      <RequireAgent>
        <CannedRepliesPage />
      </RequireAgent>
    );
  else if (pathname === `${BASE}/tableau-de-bord`)
    page = (
      <RequireAgent allowed={isSupervisor(agent)}>
        <DashboardPage />
      </RequireAgent>
    );
  else if (pathname === `${BASE}/conseillers`)
    page = (
      <RequireAgent allowed={isSupervisor(agent)}>
        <AgentsPage />
      </RequireAgent>
    );
  else if (pathname === `${BASE}/journal-securite`)
    page = (
      <RequireAgent allowed={isSupervisor(agent)}>
        <SecurityTrailPage />
      </RequireAgent>
    );
  else if (pathname === `${BASE}/catalogue`)
    page = (
      <RequireAgent allowed={agent?.role === 'admin'}>
        <CatalogPage />
      </RequireAgent>
    );
  else
    page = (
      <>
        <PageHeading>Page introuvable</PageHeading>
        <p>Cette page n’existe pas.</p>
      </>
    );

  const navigation = agent
    ? [
        { label: 'File des demandes', to: `${BASE}/` },
        { label: isSupervisor(agent) ? 'Réponses types' : 'Réponses types (consultation)', to: `${BASE}/reponses-types` },
        ...(isSupervisor(agent)
          ? [
              { label: 'Tableau de bord', to: `${BASE}/tableau-de-bord` },
              { label: 'Conseillers', to: `${BASE}/conseillers` },
              { label: 'Journal de sécurité', to: `${BASE}/journal-securite` },
            ]
          : []),
        ...(agent.role === 'admin' ? [{ label: 'Catalogue', to: `${BASE}/catalogue` }] : []),
      ]
    : [];
  return (
    <>
      <SkipLinks
        links={[
          { href: '#contenu', label: 'Contenu' },
          ...(agent ? [{ href: '#navigation', label: 'Menu' }] : []),
          { href: '#pied-de-page', label: 'Pied de page' },
        ]}
      />
      <Header
        serviceTitle="Mes messages et mes réponses"
        serviceTagline={agent ? `Back office des conseillers - ${agent.given_name} ${agent.family_name} (${agent.fund})` : 'Back office des conseillers'}
        homeTo={`${BASE}/`}
        tools={agent ? [{ label: 'Se déconnecter', onClick: () => void logout(), icon: 'fr-icon-logout-box-r-line' }] : []}
        navigation={navigation}
      />
      <main id="contenu" role="main" className="fr-container fr-pt-4w fr-pb-8w mm-main" tabIndex={-1}>
        {agent === undefined && pathname !== `${BASE}/connexion` && pathname !== `${BASE}/mot-de-passe/nouveau` ? <Loading /> : page}
      </main>
      <Footer homeTo={`${BASE}/`} description="Outil des conseillers MSA pour répondre aux messages des adhérents." links={[{ label: 'msa.fr', href: 'https://www.msa.fr' }]} />
    </>
  );
}
