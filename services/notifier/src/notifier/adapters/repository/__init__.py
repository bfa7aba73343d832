"""Reading and writing the notifier's tables, one module per aggregate: the contact
projection (``contacts``), the members' choices (``preferences``), the delivery log
(``deliveries``), the dead letters waiting in the outbox (``dead_letters``) and the ids of
the events handled (``processed_events``). ``members`` serialises what touches one member."""
