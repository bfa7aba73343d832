"""How long printing a proof of deposit (PDF) takes, as the service prints it.

    uv run python services/messages/bench/bench_receipt.py [--count 200] [--seed 17]

Prints ``--count`` PDFs of different messages (texts of 10 to 750 characters, French letters,
line breaks, now and then an emoji), after a few warm-up ones, and reports p50 / p95 / p99 of
the wall time and of the process's CPU time per PDF (the target is p95 ≤ 100 ms), and the
sizes. No database: it times ``ReceiptPrinter.render``, what a download adds to one indexed
read. Not a test: numbers depend on the machine and on what else runs on it (the CPU time
says what the printing itself costs when the machine is busy).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from messages.adapters.receipt_pdf import ReceiptPrinter
from messages.domain.model import Message, Node, Status, Thread
from messages.domain.receipts import deposit_digest
from messages.domain.views import Receipt

SAMPLE = (
    "bonjour je vous écris au sujet de mon dossier d'allocations familiales suite à mon "
    "déménagement à Lille le mois dernier ; pourriez-vous me confirmer que la déclaration "
    "a bien été reçue et me dire quand le prochain versement interviendra ? cœur œuvre "
    "mère sœur élève Noël garçon à côté 100 € « merci » — cordialement"
)
WORDS = SAMPLE.split()


def a_text(rng: random.Random) -> str:
    length = rng.randint(10, 750)
    words: list[str] = []
    while len(" ".join(words)) < length:
        words.append(rng.choice(WORDS))
        if rng.random() < 0.03:
            words.append("\n")
        if rng.random() < 0.005:
            words.append("🙂")
    return " ".join(words)[:length].strip() or "Bonjour !!"


def a_receipt(rng: random.Random, number: int) -> Receipt:
    sent = datetime(2026, 2, 2, 9, 30, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 10**7))
    thread = Thread(
        id=uuid.uuid4(),
        reference=f"NPC-2026-{number:06d}",
        fund="NPC",
        member_id=uuid.uuid4(),
        member_given_name="Camille",
        member_family_name="MARTIN",
        theme=Node("famille", "Famille, Allocations familiales, aides au logement"),
        subject=Node("famille-allocations", "Allocations familiales"),
        motif=Node("af-changement-situation", "Mon changement de situation"),
        skill="famille",
        response_time_days=5,
        status=Status.SUBMITTED,
        created_at=sent,
        last_activity_at=sent,
        due_date=date(2026, 2, 9),
    )
    message = Message(
        id=uuid.uuid4(),
        thread_id=thread.id,
        author_kind="member",
        author_id=thread.member_id,
        author_name="Camille MARTIN",
        body=a_text(rng),
        created_at=sent,
        follow_up=rng.random() < 0.2,
    )
    return Receipt(thread, message, deposit_digest(thread, message), "MSA Nord-Pas de Calais")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=17)
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)  # noqa: S311 (test data, not secrets)
    printer = ReceiptPrinter("https://mes-messages.msa.fr")
    receipts = [a_receipt(rng, number) for number in range(1, arguments.count + 6)]
    for receipt in receipts[:5]:  # warm-up: imports, the font's character map
        printer.render(receipt)
    wall: list[float] = []
    cpu: list[float] = []
    sizes: list[int] = []
    for receipt in receipts[5:]:
        started, started_cpu = time.perf_counter(), time.process_time()
        content = printer.render(receipt)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        sizes.append(len(content))
    print(f"{arguments.count} proofs of deposit (texts of 10 to 750 characters)")
    for name, values in (("wall", wall), ("cpu", cpu)):
        print(
            f"{name:>4} ms  p50 {percentile(values, 0.50):6.1f}  p95 {percentile(values, 0.95):6.1f}"
            f"  p99 {percentile(values, 0.99):6.1f}  max {max(values):6.1f}"
        )
    print(f"size  KiB  median {statistics.median(sizes) / 1024:.1f}  max {max(sizes) / 1024:.1f}")
    p95 = percentile(wall, 0.95)
    print(f"target p95 ≤ 100 ms: {'met' if p95 <= 100 else 'NOT met'} ({p95:.1f} ms)")


if __name__ == "__main__":
    main()
