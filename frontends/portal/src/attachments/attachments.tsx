/**
 * The member's attachments: in the wizard (step 5 « Ajouter une pièce jointe », the recap of
 * step 6), in a thread's « Compléter ma demande » form, and in a thread (each message's
 * files). Files chosen for a message are kept in this browser beside its draft (under the
 * draft's prefix: removed at logout), so a reload or a failed send keeps them; they are sent
 * by their ids with the message.
 */
import { useState } from 'react';
import { type Attachment, AttachmentList, AttachmentPicker, formatSize, labelled, useThreadAttachments } from '@mes-messages/shared';

export const MEMBER_UPLOAD_URL = '/api/messages/attachments';

/** Where the files chosen for a new message are kept (the wizard's draft prefix). */
export function wizardFilesKey(memberId: string): string {
  return `mm.brouillon.pieces-jointes.${memberId}`;
}

/** Where the files chosen for a thread's follow-up are kept (the follow-up draft's prefix). */
export function followUpFilesKey(memberId: string, threadId: string): string {
  return `mm.relance.pieces-jointes.${memberId}.${threadId}`;
}

export function loadChosen(key: string, storage: Storage = localStorage): Attachment[] {
  try {
    const parsed = JSON.parse(storage.getItem(key) ?? '[]') as unknown;
    return Array.isArray(parsed) ? (parsed as Attachment[]) : [];
  } catch {
    return [];
  }
}

export function saveChosen(key: string, files: Attachment[], storage: Storage = localStorage): void {
  try {
    if (files.length) storage.setItem(key, JSON.stringify(files));
    else storage.removeItem(key);
  } catch {
    // Storage refused (private browsing): the files stay listed for this page only.
  }
}

/** The files chosen for the message being written, kept under `key` with its draft. */
export function useChosenAttachments(key: string): [Attachment[], (files: Attachment[]) => void] {
  const [files, setFiles] = useState<Attachment[]>(() => loadChosen(key));
  return [
    files,
    (next: Attachment[]) => {
      saveChosen(key, next);
      setFiles(next);
    },
  ];
}

/** « Ajouter une pièce jointe » under a message (a new one, or a follow-up). Changing the
 * files needs a new send key. */
export function MemberAttachmentsField({
  files,
  onChange,
  disabled,
  id,
}: {
  files: Attachment[];
  onChange: (files: Attachment[]) => void;
  disabled?: boolean;
  id?: string;
}) {
  return <AttachmentPicker id={id} uploadUrl={MEMBER_UPLOAD_URL} files={files} onChange={onChange} disabled={disabled} />;
}

/** Step 6: the files in the recap, with their sizes. */
export function RecapAttachments({ files }: { files: Attachment[] }) {
  if (!files.length) return null;
  return (
    <>
      <h3 className="fr-h6 fr-mt-3w">{labelled('Pièces jointes')}</h3>
      <ul className="fr-raw-list fr-mb-3w" id="recapitulatif-pieces-jointes">
        {files.map((file) => (
          <li key={file.id}>
            {file.name} ({formatSize(file.size)})
          </li>
        ))}
      </ul>
    </>
  );
}

/** A thread's files, grouped by the message they came with. */
export function useMemberThreadAttachments(threadId: string, refresh: unknown): Map<string, Attachment[]> {
  return useThreadAttachments(`/api/messages/threads/${threadId}/attachments`, refresh);
}

/** The files of one message of the thread, with their download links. */
export function MessageAttachments({ files }: { files: Attachment[] | undefined }) {
  return <AttachmentList files={files ?? []} downloadUrl={(file) => `${MEMBER_UPLOAD_URL}/${file.id}/content`} />;
}
