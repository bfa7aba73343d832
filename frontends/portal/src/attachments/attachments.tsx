/**
 * The member's attachments: in the wizard (step 5 « Ajouter une pièce jointe », the recap of
 * step 6) and in a thread (each message's files). Files chosen for a message are kept in this
 * browser with the draft (same prefix: removed at logout), so a reload or a failed send keeps
 * them; they are sent by their ids with the message.
 */
import { useEffect, useState } from 'react';
import { type Attachment, AttachmentList, AttachmentPicker, api, formatSize, labelled } from '@mes-messages/shared';

const PREFIX = 'mm.brouillon.pieces-jointes.';
export const MEMBER_UPLOAD_URL = '/api/messages/attachments';

export function loadChosen(memberId: string, storage: Storage = localStorage): Attachment[] {
  try {
    const parsed = JSON.parse(storage.getItem(PREFIX + memberId) ?? '[]') as unknown;
    return Array.isArray(parsed) ? (parsed as Attachment[]) : [];
  } catch {
    return [];
  }
}

export function saveChosen(memberId: string, files: Attachment[], storage: Storage = localStorage): void {
  try {
    if (files.length) storage.setItem(PREFIX + memberId, JSON.stringify(files));
    else storage.removeItem(PREFIX + memberId);
  } catch {
    // Storage refused (private browsing): the files stay listed for this page only.
  }
}

/** The files chosen for the message being written, kept with the draft. */
export function useChosenAttachments(memberId: string): [Attachment[], (files: Attachment[]) => void] {
  const [files, setFiles] = useState<Attachment[]>(() => loadChosen(memberId));
  return [
    files,
    (next: Attachment[]) => {
      saveChosen(memberId, next);
      setFiles(next);
    },
  ];
}

async function withdraw(file: Attachment): Promise<void> {
  try {
    await api.delete(`/api/messages/attachments/${file.id}`);
  } catch {
    // Already gone (sent elsewhere, removed after 24 hours): nothing left to withdraw.
  }
}

/** Step 5: « Ajouter une pièce jointe ». Changing the files needs a new send key. */
export function WizardAttachments({ files, onChange, disabled }: { files: Attachment[]; onChange: (files: Attachment[]) => void; disabled?: boolean }) {
  return <AttachmentPicker uploadUrl={MEMBER_UPLOAD_URL} files={files} onChange={onChange} onRemove={withdraw} disabled={disabled} />;
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

/** A thread's files, fetched once, grouped by the message they came with. */
export function useThreadAttachments(threadId: string, refresh: unknown): Map<string, Attachment[]> {
  const [byMessage, setByMessage] = useState<Map<string, Attachment[]>>(new Map());
  useEffect(() => {
    api
      .get<{ data: Attachment[] }>(`/api/messages/threads/${threadId}/attachments`)
      .then((answer) => {
        const grouped = new Map<string, Attachment[]>();
        for (const file of answer.data) {
          if (!file.message_id) continue;
          grouped.set(file.message_id, [...(grouped.get(file.message_id) ?? []), file]);
        }
        setByMessage(grouped);
      })
      .catch(() => setByMessage(new Map()));
  }, [threadId, refresh]);
  return byMessage;
}

/** The files of one message of the thread, with their download links. */
export function MessageAttachments({ files }: { files: Attachment[] | undefined }) {
  return <AttachmentList files={files ?? []} downloadUrl={(file) => `/api/messages/attachments/${file.id}/content`} />;
}
