import { type ReactNode, useEffect } from 'react';
import { Footer, Header, Loading, SkipLinks, matchPath, navigate, safeReturnPath, useLocation } from '@mes-messages/shared';
import { loginPath, useSession } from './session';
import { HomePage } from './pages/Home';
import { LoginPage, RETURN_AFTER_FRANCECONNECT } from './pages/Login';
import { RegisterPage } from './pages/Register';
import { ActivationPage } from './pages/Activation';
import { ForgottenPasswordPage, ResetPasswordPage } from './pages/Password';
import { ThreadsPage } from './pages/Threads';
import { WizardPage } from './pages/Wizard';
import { ThreadPage } from './pages/Thread';
import { AccountPage } from './pages/Account';
import { UnsubscribePage } from './pages/Unsubscribe';
import { VerifyReceiptPage } from './pages/VerifyReceipt';
import { VERIFY_RECEIPT_PATH } from './receipts';
import { AccessibilityPage, NotFoundPage } from './pages/Static';

export const SERVICE_TITLE = 'Mes messages et mes réponses';

/** A page only a logged-in member may see: others go to the login, and come back after. */
function RequireMember({ children }: { children: ReactNode }) {
  const { member } = useSession();
  useEffect(() => {
    if (member === null) navigate(loginPath(), { replace: true });
  }, [member]);
  if (!member) return <Loading label="Vérification de votre connexion…" />;
  return <>{children}</>;
}

function route(pathname: string): ReactNode {
  if (pathname === '/') return <HomePage />;
  if (pathname === '/connexion') return <LoginPage />;
  if (pathname === '/inscription') return <RegisterPage />;
  if (pathname === '/inscription/activation') return <ActivationPage />;
  if (pathname === '/mot-de-passe/oubli') return <ForgottenPasswordPage />;
  if (pathname === '/mot-de-passe/nouveau') return <ResetPasswordPage />;
  if (pathname === '/accessibilite') return <AccessibilityPage />;
  if (pathname === '/desabonnement') return <UnsubscribePage />;
  if (pathname === VERIFY_RECEIPT_PATH) return <VerifyReceiptPage />;
  if (pathname === '/messages' || pathname === '/messages/')
    return (
      <RequireMember>
        <ThreadsPage />
      </RequireMember>
    );
  if (pathname === '/messages/nouveau')
    return (
      <RequireMember>
        <WizardPage />
      </RequireMember>
    );
  const thread = matchPath('/messages/:threadId', pathname);
  if (thread)
    return (
      <RequireMember>
        <ThreadPage key={thread.threadId} threadId={thread.threadId!} />
      </RequireMember>
    );
  if (pathname === '/compte')
    return (
      <RequireMember>
        <AccountPage />
      </RequireMember>
    );
  return <NotFoundPage />;
}

export function App() {
  const { pathname } = useLocation();
  const { member, fund, logout } = useSession();
  useEffect(() => {
    // Back from FranceConnect (always to /messages): go on to the page asked for before.
    const pending = sessionStorage.getItem(RETURN_AFTER_FRANCECONNECT);
    if (member && pending) {
      sessionStorage.removeItem(RETURN_AFTER_FRANCECONNECT);
      navigate(safeReturnPath(pending, '/messages'), { replace: true });
    }
  }, [member]);
  const tools = member
    ? [
        { label: 'Mon compte', to: '/compte', icon: 'fr-icon-account-circle-line' },
        { label: 'Se déconnecter', onClick: () => void logout(), icon: 'fr-icon-logout-box-r-line' },
      ]
    : [
        { label: 'Se connecter', to: '/connexion', icon: 'fr-icon-lock-line' },
        { label: 'Créer mon espace', to: '/inscription', icon: 'fr-icon-account-line' },
      ];
  return (
    <>
      <SkipLinks
        links={[
          { href: '#contenu', label: 'Contenu' },
          { href: '#navigation', label: 'Menu' },
          { href: '#pied-de-page', label: 'Pied de page' },
        ]}
      />
      <Header
        serviceTitle={SERVICE_TITLE}
        serviceTagline={fund?.name ?? 'MSA - La sécurité sociale agricole'}
        homeTo="/"
        tools={tools}
        navigation={[
          { label: 'Accueil', to: '/' },
          { label: 'Contact & échanges', links: [{ label: 'Mes messages', to: '/messages' }] },
        ]}
      />
      <main id="contenu" role="main" className="fr-container fr-pt-4w fr-pb-8w mm-main" tabIndex={-1}>
        {member === undefined && pathname !== '/' ? <Loading /> : route(pathname)}
      </main>
      <Footer
        homeTo="/"
        accessibilityTo="/accessibilite"
        description={
          <>
            {SERVICE_TITLE} : la messagerie sécurisée entre les adhérents de la MSA et leur caisse.
            {fund ? ` Votre caisse : ${fund.name}.` : ''}
          </>
        }
        links={[
          fund ? { label: fund.site.replace('https://', ''), href: fund.site } : { label: 'msa.fr', href: 'https://www.msa.fr' },
          { label: 'franceconnect.gouv.fr', href: 'https://franceconnect.gouv.fr' },
          { label: 'service-public.fr', href: 'https://www.service-public.fr' },
        ]}
      />
    </>
  );
}
