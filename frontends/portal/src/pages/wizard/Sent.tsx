/** After « Envoyer »: the reference, the expected answer date, the proof of deposit. */
import { Alert, Link, PageHeading, formatCalendarDay } from '@mes-messages/shared';
import { ReceiptLink } from '../../receipts';
import type { ThreadCreated } from '../../types';

export function Sent({ sent }: { sent: ThreadCreated }) {
  return (
    <>
      <PageHeading level={2} focus>
        Votre message a bien été envoyé
      </PageHeading>
      <Alert severity="success" title={`Référence de votre demande : ${sent.reference}`} headingLevel={3}>
        <p>
          {`Votre MSA vous répondra au plus tard le ${formatCalendarDay(sent.due_date)}.`}{' '}
          Un courriel de confirmation vous a été envoyé. Vous serez prévenu par courriel lorsque la réponse sera disponible dans
          « Mes messages et mes réponses ».
        </p>
        <ReceiptLink threadId={sent.thread_id} messageId={sent.message_id} />
      </Alert>
      <ul className="fr-btns-group fr-btns-group--inline-md fr-mt-4w">
        <li>
          <Link className="fr-btn" to={`/messages/${sent.thread_id}`}>
            Voir ma demande
          </Link>
        </li>
        <li>
          <Link className="fr-btn fr-btn--secondary" to="/messages">
            Retour à mes messages
          </Link>
        </li>
      </ul>
    </>
  );
}
