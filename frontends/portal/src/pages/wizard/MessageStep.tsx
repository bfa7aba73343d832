/**
 * Step 5 « Mon message »: 10 to 750 characters with a live counter, the medical-data notice,
 * « Ajouter une pièce jointe », and the warning when the text seems to hold medical data (a
 * second « Valider » goes on).
 */
import type { FormEvent, ReactNode, RefObject } from 'react';
import { type Attachment, Alert, Button, CharacterCounter, ErrorSummary, MESSAGE_MAX_CHARACTERS, Textarea } from '@mes-messages/shared';
import { MemberAttachmentsField } from '../../attachments/attachments';
import { MEDICAL_NOTICE, PLACEHOLDER } from '../../messageForm';
import type { Advisory } from '../../types';
import { type Choices, ChoicesRecall } from './Steps';

export function MessageStep({
  choices,
  goTo,
  text,
  onText,
  textError,
  files,
  onFiles,
  advisories,
  advisoryRef,
  checking,
  onSubmit,
  failureAlert,
  cancelButton,
}: {
  choices: Choices;
  goTo: (step: 1 | 2 | 3) => void;
  text: string;
  onText: (text: string) => void;
  textError: string | null;
  files: Attachment[];
  onFiles: (files: Attachment[]) => void;
  /** The medical-data warnings to show now (none once the text changed). */
  advisories: Advisory[];
  advisoryRef: RefObject<HTMLDivElement | null>;
  checking: boolean;
  onSubmit: (event: FormEvent) => void;
  failureAlert: ReactNode;
  cancelButton: ReactNode;
}) {
  return (
    <form onSubmit={onSubmit} noValidate>
      <ChoicesRecall choices={choices} upTo={3} goTo={goTo} />
      <ErrorSummary errors={textError ? [{ fieldId: 'message', message: textError }] : []} />
      {failureAlert}
      <Alert severity="info" small className="fr-mb-3w">
        {MEDICAL_NOTICE}
      </Alert>
      <Textarea
        id="message"
        label="Mon message"
        hint="Entre 10 et 750 caractères."
        placeholder={PLACEHOLDER}
        rows={10}
        value={text}
        onChange={(event) => onText(event.target.value)}
        error={textError}
        aria-describedby="message-hint message-messages message-compteur"
        messages={<CharacterCounter id="message-compteur" text={text} max={MESSAGE_MAX_CHARACTERS} />}
      />
      <MemberAttachmentsField files={files} onChange={onFiles} disabled={checking} />
      {advisories.length ? (
        <div ref={advisoryRef} tabIndex={-1} className="fr-mb-3w" id="avertissement-medical">
          <Alert severity="warning" title="Votre message semble contenir des informations médicales" headingLevel={3}>
            <>
              {advisories.map((advisory) => (
                <p key={advisory.code}>{advisory.message}</p>
              ))}
              <p>Vous pouvez modifier votre message, ou cliquer de nouveau sur « Valider » pour continuer.</p>
            </>
          </Alert>
        </div>
      ) : null}
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>{cancelButton}</li>
        <li>
          <Button type="submit" disabled={checking}>
            Valider
          </Button>
        </li>
      </ul>
    </form>
  );
}
