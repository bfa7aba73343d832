"""Make the fonts of the proof of deposit (``adapters/fonts/``) from DejaVu Sans.

The PDF embeds DejaVu Sans, cut down to the scripts a member may write in
(Latin with every French letter, « œ », the narrow no-break space, punctuation, currency and
common symbols) so that each PDF loads a small font quickly: a font with Greek and Cyrillic
too took a third longer to print. (Headings are in the PDF core font Helvetica Bold, which
needs no embedding: a second embedded font cost another third.)
Characters outside it (emoji...) are printed as « � » (``adapters/receipt_pdf.py``); the
fingerprint is always computed on the text as received.

Run once when the fonts change (Debian's ``fonts-dejavu-core`` provides the sources):

    uv run python services/messages/scripts/subset_receipt_fonts.py [SOURCE_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

SOURCE = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/dejavu")
TARGET = Path(__file__).resolve().parent.parent / "src" / "messages" / "adapters" / "fonts"

RANGES = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x024F),  # Latin-1 supplement, Latin extended A and B (œ, Œ, Ÿ...)
    (0x02B0, 0x02FF),  # spacing modifier letters (ʼ)
    (0x0300, 0x036F),  # combining marks
    (0x2000, 0x206F),  # general punctuation (narrow no-break space, dashes, quotes, …)
    (0x20A0, 0x20CF),  # currency (€)
    (0x2100, 0x214F),  # letterlike symbols (№, ™)
    (0x2190, 0x2193),  # arrows ← ↑ → ↓
    (0x2212, 0x2212),  # minus sign
    (0x221E, 0x221E),  # ∞
    (0x2260, 0x2260),  # ≠
    (0x2264, 0x2265),  # ≤ ≥
    (0xFFFD, 0xFFFD),  # replacement character
]


def main() -> None:
    unicodes = [code for first, last in RANGES for code in range(first, last + 1)]
    for name in ("DejaVuSans",):
        options = subset.Options()
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.hinting = False
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "MATH", "kern", "FFTM"]
        font = subset.load_font(str(SOURCE / f"{name}.ttf"), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        subset.save_font(font, str(TARGET / f"{name}-receipt.ttf"), options)
        print(TARGET / f"{name}-receipt.ttf")


if __name__ == "__main__":
    main()
