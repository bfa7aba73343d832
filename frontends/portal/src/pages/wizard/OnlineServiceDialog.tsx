/** Step 4: the online service that matches the choices, offered in a dialog; closing it goes on to step 5. */
import { Button, Modal } from '@mes-messages/shared';
import type { OnlineService } from '../../types';

export function OnlineServiceDialog({ service, open, onClose }: { service: OnlineService; open: boolean; onClose: () => void }) {
  return (
    <Modal
      id="service-en-ligne"
      title={service.title}
      open={open}
      onClose={onClose}
      footer={
        <ul className="fr-btns-group fr-btns-group--right fr-btns-group--inline-reverse fr-btns-group--inline-lg fr-btns-group--icon-left">
          <li>
            <a className="fr-btn fr-icon-external-link-line fr-btn--icon-left" href={service.url}>
              {service.call_to_action || "J'utilise le service en ligne"}
            </a>
          </li>
          <li>
            <Button priority="secondary" onClick={onClose}>
              Non merci, j’écris mon message
            </Button>
          </li>
        </ul>
      }
    >
      <p>Un service en ligne correspond à votre demande : il vous permet de la faire directement, sans attendre de réponse.</p>
      {service.description ? <p>{service.description}</p> : null}
    </Modal>
  );
}
