"""The commune's own facts in library texts: `{website}`, `{plan_number}`, ...

The library is written for any commune. What belongs to one commune (the name, number and
date of its plan, its website, the name of its one-stop desk, the body it reports to) comes
from its commune file (`Commune.content_facts`). A text names such a fact with a placeholder
in braces; when the commune file does not set it, the text that needs it is left out rather
than shown with a gap or another commune's fact:

- a paragraph of a body (a line once loaded: a blank line in the YAML file) is dropped;
- a quiz is dropped;
- an item whose title needs it, that lists it in `needs:`, or whose body has nothing left,
  is left out entirely.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from content.schema import Item

# Every placeholder a library text may use, and what it stands for (content/README.md).
KNOWN = {
    "commune": "the commune's name with its kind: xã Ví Dụ",
    "plan_title": "what the commune's plan is about (commune file: [plan] title)",
    "plan_number": "the plan's number, e.g. 12/KH-UBND ([plan] number)",
    "plan_date": "the day the plan was signed, e.g. 15/01/2026 ([plan] signed)",
    "website": "the commune's website (website)",
    "service_centre": "the name of the commune's one-stop desk (service_centre)",
    "reports_to": "the province's body the commune reports to (reports_to)",
}
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def names(text: str) -> set[str]:
    """Return the placeholder names a text uses."""
    return set(PLACEHOLDER.findall(text))


def _fill(text: str, facts: Mapping[str, str]) -> str | None:
    """Fill a text's placeholders; None when one of them is not set."""
    if not names(text) <= facts.keys():
        return None
    return PLACEHOLDER.sub(lambda match: facts[match.group(1)], text)


def fill_item(item: Item, facts: Mapping[str, str]) -> Item | None:
    """Return the item with the commune's facts filled in, what needs a missing one left
    out; None when the item cannot stand without it."""
    if not set(item.needs) <= facts.keys():
        return None
    title = _fill(item.title, facts)
    paragraphs = [_fill(part, facts) for part in item.body.split("\n")]
    body = "\n".join(part for part in paragraphs if part)
    if title is None or not body:
        return None
    quiz = item.quiz
    if quiz is not None:
        texts = [quiz.question, *quiz.options, quiz.answer, quiz.explanation]
        filled = [_fill(text, facts) for text in texts]
        if any(text is None for text in filled):
            quiz = None
        else:
            question, *options, answer, explanation = filled
            quiz = quiz.model_copy(
                update={
                    "question": question,
                    "options": options,
                    "answer": answer,
                    "explanation": explanation,
                }
            )
    return item.model_copy(update={"title": title, "body": body, "quiz": quiz})
