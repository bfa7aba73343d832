import { Link, PageHeading, useDocumentTitle } from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';
import { useSession } from '../session';

export function HomePage() {
  const { member, fund } = useSession();
  useDocumentTitle('Accueil', SERVICE_TITLE);
  return (
    <>
      <PageHeading focus={false}>{member ? `Bonjour ${member.given_name}` : SERVICE_TITLE}</PageHeading>
      {member ? (
        <>
          <p className="fr-text--lead">Bienvenue dans votre espace privé{fund ? ` de la ${fund.name}` : ''}.</p>
          <h2>Contact &amp; échanges</h2>
          <div className="fr-grid-row fr-grid-row--gutters">
            <div className="fr-col-12 fr-col-md-6">
              <div className="fr-card fr-enlarge-link">
                <div className="fr-card__body">
                  <div className="fr-card__content">
                    <h3 className="fr-card__title">
                      <Link to="/messages">Accéder à la messagerie</Link>
                    </h3>
                    <p className="fr-card__desc">
                      Mes Messages : écrivez à votre MSA et retrouvez ses réponses dans « Mes messages et mes réponses ».
                    </p>
                  </div>
                </div>
              </div>
            </div>
            <div className="fr-col-12 fr-col-md-6">
              <div className="fr-card fr-enlarge-link">
                <div className="fr-card__body">
                  <div className="fr-card__content">
                    <h3 className="fr-card__title">
                      <Link to="/compte">Mon compte</Link>
                    </h3>
                    <p className="fr-card__desc">Votre adresse électronique, votre mot de passe.</p>
                  </div>
                </div>
              </div>
            </div>
          </div>
        </>
      ) : (
        <>
          <p className="fr-text--lead">
            Écrivez à votre MSA en toute sécurité et retrouvez ses réponses dans votre espace privé.
          </p>
          <ul className="fr-btns-group fr-btns-group--inline-md">
            <li>
              <Link className="fr-btn" to="/connexion">
                Se connecter
              </Link>
            </li>
            <li>
              <Link className="fr-btn fr-btn--secondary" to="/inscription">
                Créer mon espace
              </Link>
            </li>
          </ul>
          <h2>Comment ça marche ?</h2>
          <ol>
            <li>Connectez-vous avec votre numéro de sécurité sociale et votre mot de passe, ou avec FranceConnect.</li>
            <li>Dans « Contact &amp; échanges », ouvrez « Mes messages » puis « Écrire un nouveau message ».</li>
            <li>Choisissez le thème, le sujet et le motif de votre demande, puis rédigez votre message.</li>
            <li>Vous recevez un courriel de confirmation, puis un courriel lorsque la réponse de votre MSA est disponible.</li>
          </ol>
        </>
      )}
    </>
  );
}
