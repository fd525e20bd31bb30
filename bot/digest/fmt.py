"""Numbers the way a report's reader writes them: separators and units from the catalog."""

from __future__ import annotations

from datetime import date

from bot.i18n import Translator


class Numbers:
    """Formats counts, shares, decimals and changes in one language."""

    def __init__(self, t: Translator) -> None:
        self.t = t
        self.decimal = t("reports.decimal_mark")
        self.thousands = t("reports.thousands_mark")

    def count(self, value: int | None) -> str:
        """1234567 -> "1.234.567" (Vietnamese) or "1,234,567" (English)."""
        if value is None:
            return self.t("reports.no_data")
        return f"{value:,}".replace(",", self.thousands)

    def decimal1(self, value: float | None) -> str:
        """3.25 -> "3,3" (one decimal)."""
        if value is None:
            return self.t("reports.no_data")
        return f"{value:.1f}".replace(".", self.decimal)

    def days(self, value: float | None) -> str:
        """A number of days: 3 -> "3", 3.5 -> "3,5"."""
        if value is None:
            return self.t("reports.no_data")
        return str(int(value)) if value == int(value) else self.decimal1(value)

    def share(self, value: float | None) -> str:
        """0.784 -> "78%"."""
        if value is None:
            return self.t("reports.no_data")
        return f"{round(100 * value)}%"

    def change(
        self, now: float | None, before: float | None, *, share: bool = False, enough: bool = True
    ) -> str:
        """The change from `before` to `now`, in brackets; "" when either is unknown, when
        nothing changed (a reader stumbles on "(±0)"), or when either period rests on too few
        answers for a change to mean anything (`enough` false)."""
        if now is None or before is None or not enough:
            return ""
        if share:
            points = round(100 * now) - round(100 * before)
            return self.t("reports.change_points", change=_signed(points)) if points else ""
        if isinstance(now, int) and isinstance(before, int):
            diff = now - before
            return self.t("reports.change", change=_signed(diff, self.thousands)) if diff else ""
        diff = round(now - before, 1)
        if not diff:
            return ""
        text = f"{abs(diff):.1f}".replace(".", self.decimal)
        return self.t("reports.change", change=f"{'+' if diff > 0 else '-'}{text}")

    def value(self, value: float | int | None, *, share: bool) -> str:
        """A share or a count."""
        return self.share(value) if share else self.count(value)


def _signed(value: int, thousands: str = ".") -> str:
    body = f"{abs(value):,}".replace(",", thousands)
    return f"+{body}" if value > 0 else f"-{body}"


def day_month(day: date) -> str:
    """28/11 (a day in a week the reader knows)."""
    return f"{day.day:02d}/{day.month:02d}"


def full_date(day: date) -> str:
    """28/11/2026."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"
