/**
 * What followed a reply, as the fund reads it: marked « Demande de précisions », not
 * understood by the member (a « relance »), and the member's answer to « Cette réponse
 * vous a-t-elle aidé ? » with their comment.
 */
import { Badge, formatDateTime } from '@mes-messages/shared';
import type { AgentThreadDetail } from '../types';

type Entry = AgentThreadDetail['messages'][number];

export function ReplyMarks({ entry }: { entry: Entry }) {
  if (entry.kind !== 'reply') return null;
  const rating = entry.satisfaction ?? null;
  return (
    <div className="fr-mt-1w">
      {entry.asks_for_details ? (
        <Badge severity="warning" small noIcon>
          Demande de précisions
        </Badge>
      ) : null}
      {entry.not_understood_at ? (
        <p className="fr-text--sm fr-mb-1v">
          <Badge severity="warning" small>
            Relance
          </Badge>{' '}
          L’adhérent n’a pas compris cette réponse ({formatDateTime(entry.not_understood_at)}).
        </p>
      ) : null}
      <p className="fr-text--sm fr-mb-0">
        Avis de l’adhérent sur cette réponse :{' '}
        {rating ? (
          <>
            <strong>{rating.helpful ? 'Oui, elle l’a aidé' : 'Non, elle ne l’a pas aidé'}</strong> ({formatDateTime(rating.answered_at)})
            {rating.comment ? <span className="mm-prewrap"> - « {rating.comment} »</span> : null}
          </>
        ) : (
          'pas d’avis'
        )}
      </p>
    </div>
  );
}
