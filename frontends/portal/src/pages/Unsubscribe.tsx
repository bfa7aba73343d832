import { useState } from 'react';
import {
  Alert,
  ApiError,
  Breadcrumb,
  Button,
  Link,
  PageHeading,
  api,
  describeError,
  useDocumentTitle,
  useLocation,
} from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';

const PREFERENCES_LINK = '/compte#notifications';
const INVALID_LINK =
  'Ce lien de désabonnement n’est pas valide : ouvrez le lien complet reçu par courriel, ou choisissez les courriels que vous recevez dans votre compte.';

/**
 * /desabonnement#jeton=<token>: the « Ne plus recevoir ces courriels » link of the thread
 * emails. Says what it does, and turns the emails off only once the member confirms (link
 * scanners open links too). No login needed: the token, signed by the notifier, names the
 * member. It travels in the fragment, so it never reaches a server's log.
 */
export function UnsubscribePage() {
  useDocumentTitle('Ne plus recevoir les courriels de suivi', SERVICE_TITLE);
  const { hash } = useLocation();
  // Read once: the fragment is removed from the address once the choice is saved.
  const [token] = useState(() => new URLSearchParams(hash.replace(/^#/, '')).get('jeton') ?? '');
  const [done, setDone] = useState(false);
  const [sending, setSending] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  async function confirm() {
    if (sending) return;
    setFailure(null);
    setSending(true);
    try {
      // The very request mail providers send for one-click unsubscribe (RFC 8058).
      await api.post('/api/notifier/unsubscribe', new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }), {
        query: { token },
        refreshOnUnauthorized: false,
      });
      window.history.replaceState(null, '', '/desabonnement');
      setDone(true);
    } catch (error) {
      setFailure(error instanceof ApiError && error.status === 404 ? INVALID_LINK : describeError(error));
    } finally {
      setSending(false);
    }
  }

  return (
    <>
      <Breadcrumb items={[{ label: 'Accueil', to: '/' }, { label: 'Ne plus recevoir les courriels de suivi' }]} />
      <div className="fr-grid-row">
        <div className="fr-col-12 fr-col-md-10 fr-col-lg-8">
          {done ? (
            <>
              {/* A new heading for the new state: it takes the focus, and is read first. */}
              <PageHeading key="fait">Vous ne recevrez plus ces courriels</PageHeading>
              <Alert severity="success" title="Votre choix est enregistré">
                <p>
                  Vous ne serez plus prévenu par courriel de la réception de vos messages ni des réponses de votre caisse.
                  Consultez régulièrement « Mes messages et mes réponses » pour lire ses réponses.
                </p>
              </Alert>
              <p className="fr-mt-4w">
                Vous avez changé d’avis ? Vous pouvez réactiver ces courriels à tout moment dans votre compte.
              </p>
              <p>
                <Link className="fr-link fr-icon-arrow-right-line fr-link--icon-right" to={PREFERENCES_LINK}>
                  Réactiver ces courriels dans mon compte
                </Link>
              </p>
            </>
          ) : (
            <>
              <PageHeading key="question">Ne plus recevoir les courriels de suivi de mes demandes</PageHeading>
              {!token ? (
                <Alert severity="error" title="Lien incomplet">
                  <p>
                    Ce lien ne contient pas de jeton : ouvrez le lien complet reçu par courriel, ou choisissez les courriels que
                    vous recevez dans <Link to={PREFERENCES_LINK}>votre compte</Link>.
                  </p>
                </Alert>
              ) : (
                <>
                  <p>
                    Votre MSA vous écrit par courriel lorsque votre message est bien reçu et lorsqu’une réponse est disponible
                    dans « Mes messages et mes réponses ».
                  </p>
                  <p>
                    Si vous ne souhaitez plus recevoir ces courriels, confirmez ci-dessous. Vos demandes et les réponses de votre
                    caisse resteront consultables dans votre espace privé.
                  </p>
                  <p>
                    Les courriels liés à la sécurité de votre compte (code d’activation, réinitialisation du mot de passe, blocage
                    du compte, changement d’adresse) vous seront toujours envoyés.
                  </p>
                  {failure ? (
                    <Alert severity="error" live="assertive" small className="fr-mb-3w">
                      {failure}
                    </Alert>
                  ) : null}
                  <Button onClick={() => void confirm()} disabled={sending}>
                    Ne plus recevoir ces courriels
                  </Button>
                  <p className="fr-mt-4w">
                    <Link to={PREFERENCES_LINK}>Choisir les courriels que je reçois dans mon compte</Link>
                  </p>
                </>
              )}
            </>
          )}
        </div>
      </div>
    </>
  );
}
