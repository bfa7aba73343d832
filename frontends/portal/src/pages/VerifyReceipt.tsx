import { type FormEvent, useRef, useState } from 'react';
import { Alert, Breadcrumb, Button, ErrorSummary, Input, PageHeading, api, describeError, useDocumentTitle } from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';
import { summary, type FieldErrors } from '../forms';
import type { ReceiptVerification, ReceiptVerify } from '../types';

const FIELDS = { reference: 'reference', sha256: 'empreinte' };
const FINGERPRINT = /^[0-9a-fA-F]{64}$/;

/**
 * /verifier-un-accuse-de-depot: anyone (no login) checks that a proof of deposit matches what
 * the fund received, from the reference and the fingerprint printed on it. The answer is yes
 * or no, nothing else: not the message, nor whether the reference exists.
 */
export function VerifyReceiptPage() {
  useDocumentTitle('Vérifier un accusé de dépôt', SERVICE_TITLE);
  const [reference, setReference] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [result, setResult] = useState<ReceiptVerification | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const resultRef = useRef<HTMLDivElement>(null);

  async function verify(event: FormEvent) {
    event.preventDefault();
    if (sending) return;
    const found: FieldErrors = {};
    const sha256 = fingerprint.replace(/\s+/g, '');
    if (!reference.trim()) found[FIELDS.reference] = 'Saisissez la référence de la demande, par exemple NPC-2026-000123.';
    if (!FINGERPRINT.test(sha256))
      found[FIELDS.sha256] = 'Saisissez l’empreinte imprimée sur l’accusé de dépôt : 64 chiffres et lettres de a à f.';
    setErrors(found);
    setResult(null);
    setFailure(null);
    if (Object.keys(found).length) return;
    setSending(true);
    try {
      const body: ReceiptVerify = { reference: reference.trim(), sha256 };
      setResult(await api.post<ReceiptVerification>('/api/messages/receipts/verify', body, { refreshOnUnauthorized: false }));
      resultRef.current?.focus();
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setSending(false);
    }
  }

  return (
    <>
      <Breadcrumb items={[{ label: 'Accueil', to: '/' }, { label: 'Vérifier un accusé de dépôt' }]} />
      <div className="fr-grid-row">
        <div className="fr-col-12 fr-col-md-10 fr-col-lg-8">
          <PageHeading>Vérifier un accusé de dépôt</PageHeading>
          <p>
            Chaque message envoyé depuis « Mes messages et mes réponses » a son accusé de dépôt (PDF). Il porte une empreinte
            numérique (SHA-256) calculée sur le message tel que la caisse l’a reçu. Saisissez la référence et l’empreinte
            imprimées sur l’accusé : nous vous dirons s’ils correspondent à un message reçu, sans rien afficher d’autre.
          </p>
          <ErrorSummary errors={summary(errors, [FIELDS.reference, FIELDS.sha256])} />
          <form onSubmit={(event) => void verify(event)} noValidate>
            <Input
              id={FIELDS.reference}
              label="Référence de la demande"
              hint="Par exemple : NPC-2026-000123"
              autoComplete="off"
              spellCheck={false}
              value={reference}
              error={errors[FIELDS.reference]}
              onChange={(event) => setReference(event.target.value)}
            />
            <Input
              id={FIELDS.sha256}
              label="Empreinte numérique (SHA-256)"
              hint="Les 64 caractères imprimés sous « Empreinte numérique » ; les espaces sont ignorés."
              autoComplete="off"
              spellCheck={false}
              value={fingerprint}
              error={errors[FIELDS.sha256]}
              onChange={(event) => setFingerprint(event.target.value)}
            />
            <Button type="submit" disabled={sending}>
              Vérifier
            </Button>
          </form>
          <div ref={resultRef} tabIndex={-1} className="fr-mt-4w" aria-live="polite">
            {failure ? (
              <Alert severity="error" small>
                {failure}
              </Alert>
            ) : null}
            {result?.matches === true ? (
              <Alert severity="success" title="L’accusé de dépôt est authentique" headingLevel={2}>
                <p>Cette référence et cette empreinte correspondent à un message reçu par la caisse.</p>
              </Alert>
            ) : null}
            {result?.matches === false ? (
              <Alert severity="error" title="Aucune correspondance" headingLevel={2}>
                <p>
                  Cette référence et cette empreinte ne correspondent à aucun message reçu. Vérifiez qu’elles sont recopiées sans
                  erreur ; un accusé de dépôt modifié ne correspond plus.
                </p>
              </Alert>
            ) : null}
          </div>
        </div>
      </div>
    </>
  );
}
