import { type FormEvent, useEffect, useRef, useState } from 'react';
import { todayInParis } from '@mes-messages/shared';
import { REFERENCE_HINT, parisYear, typedReference } from './referenceSearch';

const ID = 'recherche-reference';

/**
 * « Référence de la demande »: the DSFR search bar (labelled) above the queue's filters. Enter
 * or the button searches; what is typed is checked and made whole here (`NPC-2026-000123`,
 * shown back in the field), or an error linked to the field says what to type.
 */
export function ReferenceSearchBar({ fund, current, onSearch }: { fund: string; current: string | null; onSearch: (reference: string) => void }) {
  const [value, setValue] = useState(current ?? '');
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setValue(current ?? '');
    setError(null);
  }, [current]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const typed = typedReference(value, fund, parisYear(todayInParis()));
    if ('error' in typed) {
      setError(typed.error);
      input.current?.focus();
      return;
    }
    setError(null);
    setValue(typed.reference);
    onSearch(typed.reference);
  }

  return (
    <div className="fr-grid-row fr-mb-4w">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <form className="fr-search-bar fr-search-bar--labelled" role="search" aria-label="Rechercher une demande par sa référence" onSubmit={submit} noValidate>
          <label className="fr-label" htmlFor={ID}>
            Référence de la demande
            <span className="fr-hint-text" id={`${ID}-hint`}>
              {REFERENCE_HINT}
            </span>
          </label>
          <input
            ref={input}
            className={error ? 'fr-input fr-input--error' : 'fr-input'}
            id={ID}
            name="reference"
            type="search"
            autoComplete="off"
            spellCheck={false}
            value={value}
            onChange={(event) => setValue(event.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={`${ID}-hint ${ID}-messages`}
          />
          <div className="fr-messages-group" id={`${ID}-messages`} aria-live="polite">
            {error ? (
              <p className="fr-message fr-message--error" id={`${ID}-error`}>
                {error}
              </p>
            ) : null}
          </div>
          <button className="fr-btn" type="submit" title="Rechercher">
            Rechercher
          </button>
        </form>
      </div>
    </div>
  );
}
