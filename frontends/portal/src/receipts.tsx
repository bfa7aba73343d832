/**
 * The proof of deposit (« accusé de dépôt »): a PDF the messages service prints for each
 * message the member sent, with the SHA-256 fingerprint of what the fund received; anyone can
 * check one on the page « Vérifier un accusé de dépôt » (/verifier-un-accuse-de-depot).
 */

export const VERIFY_RECEIPT_PATH = '/verifier-un-accuse-de-depot';

/** Where the member's browser downloads the PDF (the session cookie goes with the request). */
export function receiptPath(threadId: string, messageId: string): string {
  return `/api/messages/threads/${encodeURIComponent(threadId)}/messages/${encodeURIComponent(messageId)}/receipt`;
}

/** The State design system's download link to a message's proof of deposit. */
export function ReceiptLink({ threadId, messageId, className }: { threadId: string; messageId: string; className?: string }) {
  return (
    <a className={`fr-link fr-link--download${className ? ` ${className}` : ''}`} href={receiptPath(threadId, messageId)} download>
      Télécharger l’accusé de dépôt (PDF)
      <span className="fr-link__detail">PDF – environ 10 Ko</span>
    </a>
  );
}
