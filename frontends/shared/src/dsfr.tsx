/**
 * React components that emit the markup of the French State design system (DSFR 1.15). The
 * DSFR's CSS styles them; the few behaviours its JavaScript would add (menus, modal dialogs)
 * are done here in React, so React stays the only owner of the DOM and no script runs that the
 * Content-Security-Policy would have to allow.
 */

import {
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
  forwardRef,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import { Link, useLocation } from './router';

function classes(...names: (string | false | null | undefined)[]): string {
  return names.filter(Boolean).join(' ');
}

/* ------------------------------------------------------------------ page structure */

export function SkipLinks({ links }: { links: { href: string; label: string }[] }) {
  return (
    <div className="fr-skiplinks">
      <nav className="fr-container" role="navigation" aria-label="Accès rapide">
        <ul className="fr-skiplinks__list">
          {links.map((link) => (
            <li key={link.href}>
              <a
                className="fr-link"
                href={link.href}
                onClick={(event) => {
                  const target = document.querySelector<HTMLElement>(link.href);
                  if (!target) return;
                  event.preventDefault();
                  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
                  target.focus();
                  target.scrollIntoView();
                }}
              >
                {link.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
    </div>
  );
}

export interface NavigationItem {
  label: string;
  to?: string;
  /** A menu of links under one button ("Contact & échanges" → "Mes messages"). */
  links?: { label: string; to: string }[];
}

export interface ToolLink {
  label: string;
  to?: string;
  onClick?: () => void;
  icon?: string;
}

export interface HeaderProps {
  serviceTitle: string;
  serviceTagline?: string;
  homeTo: string;
  tools: ToolLink[];
  navigation: NavigationItem[];
}

function isCurrent(pathname: string, to: string): boolean {
  return pathname === to || (to !== '/' && to !== '/backoffice/' && pathname.startsWith(`${to}/`));
}

function ToolLinks({ tools, onNavigate }: { tools: ToolLink[]; onNavigate?: () => void }) {
  return (
    <ul className="fr-btns-group">
      {tools.map((tool) => (
        <li key={tool.label}>
          {tool.to ? (
            <Link className={classes('fr-btn', tool.icon)} to={tool.to} onClick={onNavigate}>
              {tool.label}
            </Link>
          ) : (
            <button
              type="button"
              className={classes('fr-btn', tool.icon)}
              onClick={() => {
                onNavigate?.();
                tool.onClick?.();
              }}
            >
              {tool.label}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

function NavigationMenu({ item, pathname, onNavigate }: { item: NavigationItem; pathname: string; onNavigate: () => void }) {
  const [expanded, setExpanded] = useState(false);
  const id = useId();
  const container = useRef<HTMLLIElement>(null);
  const current = (item.links ?? []).some((link) => isCurrent(pathname, link.to));
  useEffect(() => {
    if (!expanded) return undefined;
    const close = (event: Event) => {
      if (event instanceof KeyboardEvent && event.key !== 'Escape') return;
      if (event instanceof MouseEvent && container.current?.contains(event.target as Node)) return;
      setExpanded(false);
    };
    document.addEventListener('keydown', close);
    document.addEventListener('click', close);
    return () => {
      document.removeEventListener('keydown', close);
      document.removeEventListener('click', close);
    };
  }, [expanded]);
  return (
    <li className="fr-nav__item" ref={container}>
      <button
        type="button"
        className="fr-nav__btn"
        aria-expanded={expanded}
        aria-controls={id}
        aria-current={current ? 'true' : undefined}
        onClick={() => setExpanded(!expanded)}
      >
        {item.label}
      </button>
      <div className={classes('fr-collapse fr-menu', expanded && 'fr-collapse--expanded')} id={id}>
        <ul className="fr-menu__list">
          {(item.links ?? []).map((link) => (
            <li key={link.to}>
              <Link
                className="fr-nav__link"
                to={link.to}
                aria-current={isCurrent(pathname, link.to) ? 'page' : undefined}
                onClick={() => {
                  setExpanded(false);
                  onNavigate();
                }}
              >
                {link.label}
              </Link>
            </li>
          ))}
        </ul>
      </div>
    </li>
  );
}

export function Header({ serviceTitle, serviceTagline, homeTo, tools, navigation }: HeaderProps) {
  const { pathname } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const closeMenu = () => setMenuOpen(false);
  return (
    <header role="banner" className="fr-header">
      <div className="fr-header__body">
        <div className="fr-container">
          <div className="fr-header__body-row">
            <div className="fr-header__brand fr-enlarge-link">
              <div className="fr-header__brand-top">
                <div className="fr-header__logo">
                  <p className="fr-logo">
                    République
                    <br />
                    Française
                  </p>
                </div>
                <div className="fr-header__navbar">
                  <button
                    type="button"
                    className="fr-btn--menu fr-btn"
                    aria-controls="menu-principal"
                    aria-haspopup="menu"
                    aria-expanded={menuOpen}
                    id="bouton-menu"
                    title="Menu"
                    onClick={() => setMenuOpen(true)}
                  >
                    Menu
                  </button>
                </div>
              </div>
              <div className="fr-header__service">
                <Link to={homeTo} title={`Accueil - ${serviceTitle}${serviceTagline ? ` - ${serviceTagline}` : ''}`}>
                  <p className="fr-header__service-title">{serviceTitle}</p>
                </Link>
                {serviceTagline ? <p className="fr-header__service-tagline">{serviceTagline}</p> : null}
              </div>
            </div>
            <div className="fr-header__tools">
              <div className="fr-header__tools-links">
                <ToolLinks tools={tools} />
              </div>
            </div>
          </div>
        </div>
      </div>
      <div
        className={classes('fr-header__menu fr-modal', menuOpen && 'fr-modal--opened')}
        id="menu-principal"
        aria-labelledby="bouton-menu"
      >
        <div className="fr-container">
          <button type="button" className="fr-btn--close fr-btn" aria-controls="menu-principal" title="Fermer" onClick={closeMenu}>
            Fermer
          </button>
          <div className="fr-header__menu-links">{menuOpen ? <ToolLinks tools={tools} onNavigate={closeMenu} /> : null}</div>
          {navigation.length ? (
            <nav className="fr-nav" id="navigation" role="navigation" aria-label="Menu principal">
              <ul className="fr-nav__list">
                {navigation.map((item) =>
                  item.links ? (
                    <NavigationMenu key={item.label} item={item} pathname={pathname} onNavigate={closeMenu} />
                  ) : (
                    <li className="fr-nav__item" key={item.label}>
                      <Link
                        className="fr-nav__link"
                        to={item.to ?? '/'}
                        aria-current={item.to && isCurrent(pathname, item.to) ? 'page' : undefined}
                        onClick={closeMenu}
                      >
                        {item.label}
                      </Link>
                    </li>
                  ),
                )}
              </ul>
            </nav>
          ) : null}
        </div>
      </div>
    </header>
  );
}

export function Footer({
  description,
  links,
  homeTo,
  accessibilityTo,
}: {
  description: ReactNode;
  links: { label: string; href: string }[];
  homeTo: string;
  accessibilityTo?: string;
}) {
  return (
    <footer className="fr-footer" role="contentinfo" id="pied-de-page">
      <div className="fr-container">
        <div className="fr-footer__body">
          <div className="fr-footer__brand fr-enlarge-link">
            <Link to={homeTo} title="Retour à l’accueil">
              <p className="fr-logo">
                République
                <br />
                Française
              </p>
            </Link>
          </div>
          <div className="fr-footer__content">
            <p className="fr-footer__content-desc">{description}</p>
            <ul className="fr-footer__content-list">
              {links.map((link) => (
                <li className="fr-footer__content-item" key={link.href}>
                  <a className="fr-footer__content-link" href={link.href} target="_blank" rel="noopener noreferrer" title={`${link.label} - nouvelle fenêtre`}>
                    {link.label}
                  </a>
                </li>
              ))}
            </ul>
          </div>
        </div>
        <div className="fr-footer__bottom">
          <ul className="fr-footer__bottom-list">
            <li className="fr-footer__bottom-item">
              {accessibilityTo ? (
                <Link className="fr-footer__bottom-link" to={accessibilityTo}>
                  Accessibilité : non conforme
                </Link>
              ) : (
                <span className="fr-footer__bottom-link">Accessibilité : non conforme</span>
              )}
            </li>
          </ul>
          <div className="fr-footer__bottom-copy">
            <p>Sauf mention contraire, tous les textes de ce site sont sous licence etalab-2.0.</p>
          </div>
        </div>
      </div>
    </footer>
  );
}

/**
 * The page's main heading. It takes the focus when it appears, so that a keyboard or screen
 * reader user starts reading the new page (or the new wizard step) from its title.
 */
export const PageHeading = forwardRef<HTMLHeadingElement, { children: ReactNode; level?: 1 | 2; className?: string; focus?: boolean }>(
  function PageHeading({ children, level = 1, className, focus = true }, forwarded) {
    const local = useRef<HTMLHeadingElement | null>(null);
    useEffect(() => {
      if (focus) local.current?.focus({ preventScroll: false });
    }, [focus]);
    const Tag = level === 1 ? 'h1' : 'h2';
    return (
      <Tag
        tabIndex={-1}
        className={classes('mm-heading', className)}
        ref={(node) => {
          local.current = node;
          if (typeof forwarded === 'function') forwarded(node);
          else if (forwarded) forwarded.current = node;
        }}
      >
        {children}
      </Tag>
    );
  },
);

export function useDocumentTitle(title: string, suffix: string): void {
  useEffect(() => {
    document.title = `${title} - ${suffix}`;
  }, [title, suffix]);
}

export function Breadcrumb({ items }: { items: { label: string; to?: string }[] }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  return (
    <nav role="navigation" className="fr-breadcrumb" aria-label="vous êtes ici :">
      <button type="button" className="fr-breadcrumb__button" aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)}>
        Voir le fil d’Ariane
      </button>
      <div className={classes('fr-collapse', open && 'fr-collapse--expanded')} id={id}>
        <ol className="fr-breadcrumb__list">
          {items.map((item, index) => (
            <li key={item.label}>
              {item.to && index < items.length - 1 ? (
                <Link className="fr-breadcrumb__link" to={item.to}>
                  {item.label}
                </Link>
              ) : (
                <a className="fr-breadcrumb__link" aria-current="page">
                  {item.label}
                </a>
              )}
            </li>
          ))}
        </ol>
      </div>
    </nav>
  );
}

/* ------------------------------------------------------------------ feedback */

export type Severity = 'error' | 'success' | 'info' | 'warning';

export function Alert({
  severity,
  title,
  children,
  small,
  id,
  headingLevel = 2,
  live,
  className,
}: {
  severity: Severity;
  title?: ReactNode;
  children?: ReactNode;
  small?: boolean;
  id?: string;
  headingLevel?: 2 | 3 | 4;
  /** "assertive" for errors that follow an action, "polite" for news. */
  live?: 'polite' | 'assertive';
  className?: string;
}) {
  const Heading = `h${headingLevel}` as 'h2' | 'h3' | 'h4';
  return (
    <div
      id={id}
      className={classes('fr-alert', `fr-alert--${severity}`, small && 'fr-alert--sm', className)}
      role={live === 'assertive' ? 'alert' : live === 'polite' ? 'status' : undefined}
      tabIndex={-1}
    >
      {title ? <Heading className="fr-alert__title">{title}</Heading> : null}
      {typeof children === 'string' ? <p>{children}</p> : children}
    </div>
  );
}

/** The errors of a form, each a link to its field (RGAA 11.10/11.11). */
export function ErrorSummary({ errors, title = 'Le formulaire contient des erreurs' }: { errors: { fieldId: string; message: string }[]; title?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (errors.length) ref.current?.focus();
  }, [errors]);
  if (!errors.length) return null;
  return (
    <div className="fr-alert fr-alert--error fr-mb-4w" tabIndex={-1} ref={ref} role="alert">
      <h2 className="fr-alert__title">{title}</h2>
      <ul>
        {errors.map((error) => (
          <li key={error.fieldId + error.message}>
            <a
              href={`#${error.fieldId}`}
              onClick={(event) => {
                const field = document.getElementById(error.fieldId);
                if (!field) return;
                event.preventDefault();
                const focusable = field.matches('input,textarea,select,button')
                  ? field
                  : field.querySelector<HTMLElement>('input,textarea,select,button');
                (focusable ?? field).focus();
              }}
            >
              {error.message}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function Badge({ severity, children, small, noIcon }: { severity?: Severity | 'new'; children: ReactNode; small?: boolean; noIcon?: boolean }) {
  return (
    <p className={classes('fr-badge', severity && `fr-badge--${severity}`, small && 'fr-badge--sm', noIcon && 'fr-badge--no-icon')}>{children}</p>
  );
}

/** A notice under the header (site-wide information). */
export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="fr-notice fr-notice--info">
      <div className="fr-container">
        <div className="fr-notice__body">
          <p className="fr-notice__title">{children}</p>
        </div>
      </div>
    </div>
  );
}

/* ------------------------------------------------------------------ buttons */

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  priority?: 'primary' | 'secondary' | 'tertiary' | 'tertiary-no-outline';
  icon?: string;
  iconPosition?: 'left' | 'right';
  size?: 'sm' | 'lg';
}

export const Button = forwardRef<HTMLButtonElement, ButtonProps>(function Button(
  { priority = 'primary', icon, iconPosition = 'left', size, className, type = 'button', children, ...rest },
  ref,
) {
  return (
    <button
      ref={ref}
      type={type}
      className={classes(
        'fr-btn',
        priority !== 'primary' && `fr-btn--${priority}`,
        icon,
        icon && `fr-btn--icon-${iconPosition}`,
        size && `fr-btn--${size}`,
        className,
      )}
      {...rest}
    >
      {children}
    </button>
  );
});

export function ButtonsGroup({ children, inline = true, right, className }: { children: ReactNode; inline?: boolean; right?: boolean; className?: string }) {
  return (
    <ul className={classes('fr-btns-group', inline && 'fr-btns-group--inline-md', right && 'fr-btns-group--right', className)}>
      {(Array.isArray(children) ? children : [children])
        .flat()
        .filter(Boolean)
        .map((child, index) => (
          <li key={index}>{child}</li>
        ))}
    </ul>
  );
}

/* ------------------------------------------------------------------ form fields */

interface FieldProps {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string | null;
  valid?: string | null;
  /** Extra messages under the field (e.g. the live character counter). */
  messages?: ReactNode;
}

function FieldMessages({ id, error, valid, messages }: { id: string; error?: string | null; valid?: string | null; messages?: ReactNode }) {
  return (
    <div className="fr-messages-group" id={`${id}-messages`} aria-live="polite">
      {error ? <p className="fr-message fr-message--error" id={`${id}-error`}>{error}</p> : null}
      {valid ? <p className="fr-message fr-message--valid">{valid}</p> : null}
      {messages}
    </div>
  );
}

function describedBy(id: string, hint: ReactNode | undefined, extra?: string): string {
  return [hint ? `${id}-hint` : null, `${id}-messages`, extra].filter(Boolean).join(' ');
}

export const Input = forwardRef<HTMLInputElement, FieldProps & InputHTMLAttributes<HTMLInputElement>>(function Input(
  { id, label, hint, error, valid, messages, className, ...input },
  ref,
) {
  return (
    <div className={classes('fr-input-group', error && 'fr-input-group--error', valid && 'fr-input-group--valid', className)}>
      <label className="fr-label" htmlFor={id}>
        {label}
        {hint ? <span className="fr-hint-text" id={`${id}-hint`}>{hint}</span> : null}
      </label>
      <input
        ref={ref}
        id={id}
        className={classes('fr-input', error && 'fr-input--error')}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint)}
        {...input}
      />
      <FieldMessages id={id} error={error} valid={valid} messages={messages} />
    </div>
  );
});

export const Textarea = forwardRef<HTMLTextAreaElement, FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>>(function Textarea(
  { id, label, hint, error, valid, messages, className, ...textarea },
  ref,
) {
  return (
    <div className={classes('fr-input-group', error && 'fr-input-group--error', className)}>
      <label className="fr-label" htmlFor={id}>
        {label}
        {hint ? <span className="fr-hint-text" id={`${id}-hint`}>{hint}</span> : null}
      </label>
      <textarea
        ref={ref}
        id={id}
        className={classes('fr-input', error && 'fr-input--error')}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint)}
        {...textarea}
      />
      <FieldMessages id={id} error={error} valid={valid} messages={messages} />
    </div>
  );
});

export function Select({
  id,
  label,
  hint,
  error,
  options,
  placeholder,
  className,
  ...select
}: FieldProps & SelectHTMLAttributes<HTMLSelectElement> & { options: { value: string; label: string }[]; placeholder?: string }) {
  return (
    <div className={classes('fr-select-group', error && 'fr-select-group--error', className)}>
      <label className="fr-label" htmlFor={id}>
        {label}
        {hint ? <span className="fr-hint-text" id={`${id}-hint`}>{hint}</span> : null}
      </label>
      <select
        id={id}
        className={classes('fr-select', error && 'fr-select--error')}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint)}
        {...select}
      >
        {placeholder !== undefined ? <option value="">{placeholder}</option> : null}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <FieldMessages id={id} error={error} />
    </div>
  );
}

export function RadioGroup({
  id,
  legend,
  hint,
  name,
  options,
  value,
  onChange,
  error,
  rich,
}: {
  id: string;
  legend: ReactNode;
  hint?: ReactNode;
  name: string;
  options: { value: string; label: string; hint?: string }[];
  value: string | null;
  onChange: (value: string) => void;
  error?: string | null;
  rich?: boolean;
}) {
  return (
    <fieldset
      id={id}
      className={classes('fr-fieldset', error && 'fr-fieldset--error')}
      aria-labelledby={`${id}-legend${error ? ` ${id}-messages` : ''}`}
      role="radiogroup"
      aria-invalid={error ? true : undefined}
    >
      <legend className="fr-fieldset__legend fr-text--regular" id={`${id}-legend`}>
        {legend}
        {hint ? <span className="fr-hint-text">{hint}</span> : null}
      </legend>
      {options.map((option, index) => (
        <div className="fr-fieldset__element" key={option.value}>
          <div className={classes('fr-radio-group', rich && 'fr-radio-rich')}>
            <input
              type="radio"
              id={`${id}-${index}`}
              name={name}
              value={option.value}
              checked={value === option.value}
              onChange={() => onChange(option.value)}
            />
            <label className="fr-label" htmlFor={`${id}-${index}`}>
              {option.label}
              {option.hint ? <span className="fr-hint-text">{option.hint}</span> : null}
            </label>
          </div>
        </div>
      ))}
      <div className="fr-messages-group" id={`${id}-messages`} aria-live="polite">
        {error ? <p className="fr-message fr-message--error">{error}</p> : null}
      </div>
    </fieldset>
  );
}

export function Checkbox({ id, label, checked, onChange, hint }: { id: string; label: ReactNode; checked: boolean; onChange: (checked: boolean) => void; hint?: ReactNode }) {
  return (
    <div className="fr-checkbox-group">
      <input type="checkbox" id={id} checked={checked} onChange={(event) => onChange(event.target.checked)} />
      <label className="fr-label" htmlFor={id}>
        {label}
        {hint ? <span className="fr-hint-text">{hint}</span> : null}
      </label>
    </div>
  );
}

/**
 * The DSFR toggle ("interrupteur"): a checkbox whose change takes effect at once. Without the
 * checked/unchecked status labels, so the accessible name stays the label whatever the state
 * (the state itself is the checkbox's).
 */
export function Toggle({
  id,
  label,
  hint,
  checked,
  onChange,
  disabled,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled?: boolean;
}) {
  return (
    <div className="fr-toggle">
      <input
        type="checkbox"
        className="fr-toggle__input"
        id={id}
        checked={checked}
        disabled={disabled}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(event) => onChange(event.target.checked)}
      />
      <label className="fr-toggle__label" htmlFor={id}>
        {label}
      </label>
      {hint ? (
        <p className="fr-hint-text" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** The DSFR password field, with its "Afficher" checkbox. */
export function PasswordInput({
  id,
  label,
  value,
  onChange,
  error,
  autoComplete,
  hint,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | null;
  autoComplete: 'current-password' | 'new-password';
  hint?: ReactNode;
}) {
  const [shown, setShown] = useState(false);
  return (
    <div className={classes('fr-password', error && 'fr-password--error')}>
      <label className="fr-label" htmlFor={id}>
        {label}
        {hint ? <span className="fr-hint-text" id={`${id}-hint`}>{hint}</span> : null}
      </label>
      <div className="fr-input-wrap">
        <input
          className={classes('fr-password__input fr-input', error && 'fr-input--error')}
          id={id}
          type={shown ? 'text' : 'password'}
          autoComplete={autoComplete}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(id, hint)}
          required
        />
      </div>
      <div className="fr-messages-group" id={`${id}-messages`} aria-live="polite">
        {error ? <p className="fr-message fr-message--error">{error}</p> : null}
      </div>
      <div className="fr-password__checkbox fr-checkbox-group fr-checkbox-group--sm">
        <input id={`${id}-afficher`} type="checkbox" checked={shown} onChange={(event) => setShown(event.target.checked)} />
        <label className="fr-password__checkbox fr-label" htmlFor={`${id}-afficher`}>
          Afficher
        </label>
      </div>
    </div>
  );
}

/* ------------------------------------------------------------------ modal dialog */

/**
 * A DSFR modal on the native <dialog>: the browser traps the focus, closes on Escape and puts
 * the rest of the page out of reach while it is open.
 */
export function Modal({
  id,
  title,
  open,
  onClose,
  children,
  footer,
}: {
  id: string;
  title: ReactNode;
  open: boolean;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  // A layout effect: the dialog is closed before any other effect runs, so that the page
  // behind it is no longer inert when the next step's heading takes the focus.
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      id={id}
      className={classes('fr-modal', open && 'fr-modal--opened')}
      aria-labelledby={`${id}-title`}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <div className="fr-container fr-container--fluid fr-container-md">
        <div className="fr-grid-row fr-grid-row--center">
          <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
            <div className="fr-modal__body">
              <div className="fr-modal__header">
                <button type="button" className="fr-btn--close fr-btn" title="Fermer la fenêtre" aria-controls={id} onClick={onClose}>
                  Fermer
                </button>
              </div>
              <div className="fr-modal__content">
                <h1 id={`${id}-title`} className="fr-modal__title">
                  {title}
                </h1>
                {children}
              </div>
              {footer ? <div className="fr-modal__footer">{footer}</div> : null}
            </div>
          </div>
        </div>
      </div>
    </dialog>
  );
}

/* ------------------------------------------------------------------ misc */

export function Loading({ label = 'Chargement…' }: { label?: string }) {
  return (
    <p className="fr-text--sm" role="status">
      {label}
    </p>
  );
}

export function Tag({ children, small }: { children: ReactNode; small?: boolean }) {
  return <p className={classes('fr-tag', small && 'fr-tag--sm')}>{children}</p>;
}

export { classes };
