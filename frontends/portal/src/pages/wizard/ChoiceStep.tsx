/** Steps 1 to 3: the theme, the subject, the motif, as DSFR radio buttons. */
import type { FormEvent, ReactNode } from 'react';
import { Button, ErrorSummary, RadioGroup } from '@mes-messages/shared';
import type { CatalogTree } from '../../types';
import { type Choices, ChoicesRecall } from './Steps';

const LEGENDS = { 1: 'Mon dossier :', 2: 'Sujet', 3: 'Motif' } as const;

/** What a member must choose at each step, said when they validate without choosing. */
export const CHOICE_MISSING = {
  1: 'Choisissez ce que concerne votre message.',
  2: 'Choisissez le sujet de votre message.',
  3: 'Choisissez le motif de votre message.',
} as const;

export function ChoiceStep({
  step,
  tree,
  choices,
  choice,
  onChoose,
  error,
  onSubmit,
  goTo,
  cancelButton,
}: {
  step: 1 | 2 | 3;
  tree: CatalogTree;
  choices: Choices;
  choice: string | null;
  onChoose: (value: string) => void;
  error: string | null;
  onSubmit: (event: FormEvent) => void;
  goTo: (step: 1 | 2 | 3) => void;
  cancelButton: ReactNode;
}) {
  const items = step === 1 ? tree.themes : step === 2 ? (choices.theme?.subjects ?? []) : (choices.subject?.motifs ?? []);
  const options = items.map((item) => ({ value: item.code, label: item.label }));
  return (
    <form onSubmit={onSubmit} noValidate>
      <ChoicesRecall choices={choices} upTo={step - 1} goTo={goTo} />
      <ErrorSummary errors={error ? [{ fieldId: 'choix', message: error }] : []} />
      <RadioGroup id="choix" name={`etape-${step}`} legend={LEGENDS[step]} options={options} value={choice} onChange={onChoose} error={error} />
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>{cancelButton}</li>
        <li>
          <Button type="submit">Valider</Button>
        </li>
      </ul>
    </form>
  );
}
