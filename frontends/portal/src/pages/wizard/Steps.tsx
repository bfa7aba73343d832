/**
 * What every step of « Écrire un nouveau message » shows above its form: the DSFR stepper
 * (« Étape N sur 6 », the next step), and the choices already made, each with « Modifier ».
 */
import type { ReactNode } from 'react';
import { Button, PageHeading, labelled } from '@mes-messages/shared';
import type { CatalogMotif, CatalogSubject, CatalogTheme, OnlineService } from '../../types';

export type StepNumber = 1 | 2 | 3 | 4 | 5 | 6;

export const STEP_TITLES: Record<StepNumber, string> = {
  1: 'Mon message concerne ...',
  2: 'Sujet',
  3: 'Motif',
  4: 'Service en ligne',
  5: 'Mon message',
  6: 'Récapitulatif de ma demande',
};

export function Stepper({ step, focus }: { step: StepNumber; focus: boolean }) {
  const next = step < 6 ? STEP_TITLES[(step + 1) as 2 | 3 | 4 | 5 | 6] : null;
  return (
    <div className="fr-stepper">
      <PageHeading level={2} className="fr-stepper__title" focus={focus} key={step}>
        {STEP_TITLES[step]}
        <span className="fr-stepper__state">Étape {step} sur 6</span>
      </PageHeading>
      <div className="fr-stepper__steps" data-fr-current-step={step} data-fr-steps="6" />
      {next ? (
        <p className="fr-stepper__details">
          <span className="fr-text--bold">Étape suivante :</span> {next}
        </p>
      ) : null}
    </div>
  );
}

function Recall({ label, value, onModify, what }: { label: string; value: ReactNode; onModify?: () => void; what: string }) {
  return (
    <div className="mm-recall">
      <p>
        <span className="fr-text--bold">{labelled(label)}</span> {value}
      </p>
      {onModify ? (
        <Button priority="tertiary" size="sm" icon="fr-icon-edit-line" onClick={onModify}>
          Modifier<span className="fr-sr-only"> {what}</span>
        </Button>
      ) : null}
    </div>
  );
}

/** The service offered instead of writing: the motif's, else its subject's, else its theme's. */
export function resolveOnlineService(theme?: CatalogTheme, subject?: CatalogSubject, motif?: CatalogMotif): OnlineService | null {
  return motif?.online_service ?? subject?.online_service ?? theme?.online_service ?? null;
}

export interface Choices {
  theme?: CatalogTheme;
  subject?: CatalogSubject;
  motif?: CatalogMotif;
  onlineService: OnlineService | null;
}

/** The choices of the steps before `upTo` included, each with « Modifier » (back to it). */
export function ChoicesRecall({ choices, upTo, goTo }: { choices: Choices; upTo: number; goTo: (step: 1 | 2 | 3) => void }) {
  const { theme, subject, motif, onlineService } = choices;
  return (
    <div className="fr-mb-3w">
      {upTo >= 1 && theme ? <Recall label="Mon message concerne" value={theme.label} onModify={() => goTo(1)} what="ce que concerne mon message" /> : null}
      {upTo >= 2 && subject ? <Recall label="Sujet" value={subject.label} onModify={() => goTo(2)} what="le sujet" /> : null}
      {upTo >= 3 && motif ? <Recall label="Motif" value={motif.label} onModify={() => goTo(3)} what="le motif" /> : null}
      {upTo >= 3 && onlineService ? (
        <Recall
          label="Service en ligne"
          what="le service en ligne"
          value={
            <a href={onlineService.url} className="fr-link">
              {onlineService.title}
            </a>
          }
        />
      ) : null}
    </div>
  );
}
