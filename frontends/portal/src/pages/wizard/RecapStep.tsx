/** Step 6 « Récapitulatif de ma demande »: what will be sent, with Annuler / Précédent / Envoyer. */
import type { ReactNode } from 'react';
import { type Attachment, Button, labelled } from '@mes-messages/shared';
import { RecapAttachments } from '../../attachments/attachments';
import type { Choices } from './Steps';

export function RecapStep({
  choices,
  text,
  files,
  sending,
  onBack,
  onSend,
  failureAlert,
  cancelButton,
}: {
  choices: Choices;
  text: string;
  files: Attachment[];
  sending: boolean;
  onBack: () => void;
  onSend: () => void;
  failureAlert: ReactNode;
  cancelButton: ReactNode;
}) {
  return (
    <>
      {failureAlert}
      <h3 className="fr-h6">{labelled('Ma demande')}</h3>
      <ul className="fr-raw-list fr-mb-3w" id="recapitulatif">
        <li>
          <span className="fr-text--bold">{labelled('Thème')}</span> {choices.theme?.label}
        </li>
        <li>
          <span className="fr-text--bold">{labelled('Sujet')}</span> {choices.subject?.label}
        </li>
        <li>
          <span className="fr-text--bold">{labelled('Motif')}</span> {choices.motif?.label}
        </li>
      </ul>
      <div className="mm-entry">
        <p className="mm-prewrap fr-mb-0" id="recapitulatif-message">
          {text.trim()}
        </p>
      </div>
      <RecapAttachments files={files} />
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>{cancelButton}</li>
        <li>
          <Button priority="secondary" onClick={onBack} disabled={sending}>
            Précédent
          </Button>
        </li>
        <li>
          <Button onClick={onSend} disabled={sending} aria-disabled={sending}>
            Envoyer
          </Button>
        </li>
      </ul>
    </>
  );
}
