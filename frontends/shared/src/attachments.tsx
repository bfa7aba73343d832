/**
 * Attachments (« pièces jointes »), for the portal and the back office alike: the limits said
 * before a file is chosen, the checks made in the browser before sending a byte (the service
 * makes them again, from the content), the upload with its progress, and the list of a
 * message's files with their download links.
 *
 * File names are shown as text (React escapes them); they are never put in a URL but as a
 * query parameter of the upload.
 */
import { useEffect, useRef, useState } from 'react';
import { api, sessionHeaders } from './api';
import { Alert, Button } from './dsfr';
import { formatDateTime } from './format';
import type { components } from './generated/messages';

export type Attachment = components['schemas']['AttachmentPublic'];

export const MAX_FILE_BYTES = 10 * 1024 * 1024;
export const MAX_FILES = 5;
export const MAX_MESSAGE_BYTES = 20 * 1024 * 1024;
export const LIMITS_TEXT =
  'Formats acceptés : PDF, JPEG, PNG ou HEIC (photo de téléphone). Taille maximale : 10 Mo par fichier, 5 fichiers et 20 Mo au total par message.';
const ACCEPTED_EXTENSIONS = ['.pdf', '.jpg', '.jpeg', '.png', '.heic', '.heif'];
export const ACCEPT = `${ACCEPTED_EXTENSIONS.join(',')},application/pdf,image/jpeg,image/png,image/heic,image/heif`;

/** « 350 ko », « 1,2 Mo ». */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace('.', ',')} Mo`;
  return `${Math.max(1, Math.round(bytes / 1024))} ko`;
}

/** The files that may be uploaded now, and a French sentence for each one refused. */
export function checkChoice(
  already: { size: number }[],
  chosen: { name: string; size: number }[],
): { accepted: number[]; errors: string[] } {
  const accepted: number[] = [];
  const errors: string[] = [];
  let count = already.length;
  let total = already.reduce((sum, file) => sum + file.size, 0);
  chosen.forEach((file, index) => {
    const extension = file.name.includes('.') ? file.name.slice(file.name.lastIndexOf('.')).toLowerCase() : '';
    if (!ACCEPTED_EXTENSIONS.includes(extension)) {
      errors.push(`« ${file.name} » n’est pas accepté : joignez un PDF, une image JPEG ou PNG, ou une photo HEIC.`);
    } else if (file.size === 0) {
      errors.push(`« ${file.name} » est vide : choisissez-en un autre.`);
    } else if (file.size > MAX_FILE_BYTES) {
      errors.push(`« ${file.name} » dépasse 10 Mo (${formatSize(file.size)}) : réduisez-le ou envoyez-le en plusieurs parties.`);
    } else if (count >= MAX_FILES) {
      errors.push(`« ${file.name} » n’a pas été ajouté : 5 fichiers au plus par message.`);
    } else if (total + file.size > MAX_MESSAGE_BYTES) {
      errors.push(`« ${file.name} » n’a pas été ajouté : les fichiers dépasseraient 20 Mo au total.`);
    } else {
      accepted.push(index);
      count += 1;
      total += file.size;
    }
  });
  return { accepted, errors };
}

export class UploadRefused extends Error {}

/** Upload one file (the request's body is the file), telling its progress from 0 to 1. */
export function uploadFile(url: string, file: File, onProgress: (share: number) => void): Promise<Attachment> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `${url}?name=${encodeURIComponent(file.name)}`);
    request.withCredentials = true;
    request.setRequestHeader('Content-Type', 'application/octet-stream');
    request.setRequestHeader('Accept', 'application/json, application/problem+json');
    for (const [name, value] of Object.entries(sessionHeaders('POST'))) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      let body: { detail?: string } | null = null;
      try {
        body = JSON.parse(request.responseText) as { detail?: string };
      } catch {
        body = null;
      }
      if (request.status === 201 && body) resolve(body as Attachment);
      else if (request.status === 401) reject(new UploadRefused('Votre session a expiré : reconnectez-vous puis joignez de nouveau le fichier.'));
      else reject(new UploadRefused(body?.detail ?? `« ${file.name} » n’a pas pu être envoyé : réessayez dans quelques instants.`));
    };
    request.onerror = () => reject(new UploadRefused(`« ${file.name} » n’a pas pu être envoyé : vérifiez votre connexion puis réessayez.`));
    request.send(file);
  });
}

function scanNote(file: Attachment): string | null {
  if (file.scan_status === 'infected') return 'Ce fichier a été bloqué par l’antivirus : il ne peut pas être ouvert.';
  if (file.scan_status === 'pending') return 'Analyse antivirus en cours…';
  return null;
}

interface PickerProps {
  /** Where files are uploaded (`/api/messages/attachments` or `/api/messages/agent/attachments`). */
  uploadUrl: string;
  files: Attachment[];
  onChange: (files: Attachment[]) => void;
  /** Withdraw a file not sent yet (by default `DELETE <uploadUrl>/<id>`). */
  onRemove?: (file: Attachment) => Promise<void>;
  disabled?: boolean;
  id?: string;
}

/** « Ajouter une pièce jointe »: the DSFR upload field, the limits, progress, and the files. */
/** Withdraw an upload not sent yet; one already gone (sent, removed after 24 hours) is no failure. */
export async function withdrawUpload(uploadUrl: string, file: Attachment): Promise<void> {
  try {
    await api.delete(`${uploadUrl}/${file.id}`);
  } catch {
    // Already gone: nothing left to withdraw.
  }
}

export function AttachmentPicker({ uploadUrl, files, onChange, onRemove, disabled, id = 'pieces-jointes' }: PickerProps) {
  const remove = onRemove ?? ((file: Attachment) => withdrawUpload(uploadUrl, file));
  const [errors, setErrors] = useState<string[]>([]);
  const [progress, setProgress] = useState<{ name: string; share: number }[]>([]);
  const input = useRef<HTMLInputElement>(null);
  const current = useRef(files);
  current.current = files;

  async function choose(list: FileList | null) {
    const chosen = Array.from(list ?? []);
    if (input.current) input.current.value = '';
    const { accepted, errors: refused } = checkChoice(current.current, chosen);
    setErrors(refused);
    for (const index of accepted) {
      const file = chosen[index];
      if (!file) continue;
      setProgress((items) => [...items, { name: file.name, share: 0 }]);
      try {
        const uploaded = await uploadFile(uploadUrl, file, (share) =>
          setProgress((items) => items.map((item) => (item.name === file.name ? { ...item, share } : item))),
        );
        onChange([...current.current, uploaded]);
      } catch (error) {
        setErrors((previous) => [...previous, error instanceof Error ? error.message : String(error)]);
      } finally {
        setProgress((items) => items.filter((item) => item.name !== file.name));
      }
    }
  }

  return (
    <div className="fr-mb-3w" id={id}>
      <div className={`fr-upload-group${errors.length ? ' fr-input-group--error' : ''}`}>
        <label className="fr-label" htmlFor={`${id}-fichier`}>
          Ajouter une pièce jointe (facultatif)
          <span className="fr-hint-text" id={`${id}-limites`}>
            {LIMITS_TEXT}
          </span>
        </label>
        <input
          ref={input}
          className="fr-upload"
          type="file"
          id={`${id}-fichier`}
          multiple
          accept={ACCEPT}
          disabled={disabled || files.length >= MAX_FILES}
          aria-describedby={`${id}-limites`}
          onChange={(event) => void choose(event.target.files)}
        />
      </div>
      {errors.length ? (
        <div className="fr-mt-2w" role="alert">
          <Alert severity="error" small>
            <>
              {errors.map((error) => (
                <p key={error}>{error}</p>
              ))}
            </>
          </Alert>
        </div>
      ) : null}
      {progress.map((item) => (
        <p key={item.name} className="fr-text--sm fr-mt-1w">
          <label htmlFor={`${id}-progression-${item.name}`}>Envoi de « {item.name} »</label>{' '}
          <progress id={`${id}-progression-${item.name}`} max={1} value={item.share} /> {Math.round(item.share * 100)} %
        </p>
      ))}
      {files.length ? (
        <ul className="fr-raw-list fr-mt-2w" aria-label="Pièces jointes ajoutées">
          {files.map((file) => (
            <li key={file.id} className="fr-mb-1w">
              <span className="fr-icon-attachment-line fr-icon--sm" aria-hidden="true" /> {file.name} ({formatSize(file.size)})
              {scanNote(file) ? <span className="fr-text--xs"> — {scanNote(file)}</span> : null}{' '}
              <Button priority="tertiary" size="sm" disabled={disabled} onClick={() => void remove(file).then(() => onChange(current.current.filter((kept) => kept.id !== file.id)))}>
                Retirer<span className="fr-sr-only"> {file.name}</span>
              </Button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** How often a thread's files are asked for again while one of them is being scanned. */
export const SCAN_POLL_MILLISECONDS = 3000;

/** A thread's files, grouped by the message or reply they came with; fetched again on
 * `refresh`, and every few seconds while the antivirus has not given its verdict on one, so a
 * download link appears without reloading the page. */
export function useThreadAttachments(listUrl: string, refresh: unknown): Map<string, Attachment[]> {
  const [byMessage, setByMessage] = useState<Map<string, Attachment[]>>(new Map());
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const fetchFiles = () => {
      api
        .get<{ data: Attachment[] }>(listUrl)
        .then((answer) => {
          if (stopped) return;
          const grouped = new Map<string, Attachment[]>();
          for (const file of answer.data) {
            if (file.message_id) grouped.set(file.message_id, [...(grouped.get(file.message_id) ?? []), file]);
          }
          setByMessage(grouped);
          if (answer.data.some((file) => file.scan_status === 'pending')) timer = window.setTimeout(fetchFiles, SCAN_POLL_MILLISECONDS);
        })
        .catch(() => {
          if (!stopped) setByMessage(new Map());
        });
    };
    fetchFiles();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [listUrl, refresh]);
  return byMessage;
}

/** The files of one message: name, size, date and a download link (or why it cannot open). */
export function AttachmentList({ files, downloadUrl }: { files: Attachment[]; downloadUrl: (file: Attachment) => string }) {
  if (!files.length) return null;
  return (
    <ul className="fr-raw-list fr-mt-2w mm-attachments" aria-label="Pièces jointes">
      {files.map((file) => (
        <li key={file.id} className="fr-mb-1w">
          {file.scan_status === 'clean' ? (
            <a className="fr-link fr-link--download" href={downloadUrl(file)} download={file.name}>
              {file.name}
              <span className="fr-link__detail">
                {file.media_type === 'application/pdf' ? 'PDF' : file.media_type === 'image/png' ? 'PNG' : 'JPEG'} – {formatSize(file.size)} – ajouté le {formatDateTime(file.created_at)}
              </span>
            </a>
          ) : (
            <span>
              <span className="fr-icon-attachment-line fr-icon--sm" aria-hidden="true" /> {file.name} ({formatSize(file.size)}) —{' '}
              <span className={file.scan_status === 'infected' ? 'fr-error-text fr-mt-0' : ''}>{scanNote(file)}</span>
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}
