import { Link, PageHeading, useDocumentTitle } from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';

export function NotFoundPage() {
  useDocumentTitle('Page introuvable', SERVICE_TITLE);
  return (
    <>
      <PageHeading>Page introuvable</PageHeading>
      <p className="fr-text--lead">La page que vous cherchez n’existe pas ou n’est plus disponible.</p>
      <p>
        <Link to="/">Retour à l’accueil</Link>
      </p>
    </>
  );
}

export function AccessibilityPage() {
  useDocumentTitle('Accessibilité', SERVICE_TITLE);
  return (
    <>
      <PageHeading>Accessibilité</PageHeading>
      <p>
        Ce service est conçu pour être utilisable au clavier et avec un lecteur d’écran, selon le référentiel général
        d’amélioration de l’accessibilité (RGAA). Il n’a pas encore fait l’objet d’un audit : il est donc déclaré non conforme.
      </p>
      <p>Si vous rencontrez une difficulté, écrivez à votre MSA : elle vous répondra par un autre moyen.</p>
    </>
  );
}
