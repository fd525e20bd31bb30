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

    def share(self, value: float | None) -> str:
        """0.784 -> "78%"."""
        if value is None:
            return self.t("reports.no_data")
        return f"{round(100 * value)}%"

    def change(self, now: float | None, before: float | None, *, share: bool = False) -> str:
        """The change from `before` to `now`, in brackets, or "" when either is unknown."""
        if now is None or before is None:
            return ""
        if share:
            points = round(100 * now) - round(100 * before)
            return self.t("reports.change_points", change=_signed(points))
        if isinstance(now, int) and isinstance(before, int):
            return self.t("reports.change", change=_signed(now - before, self.thousands))
        diff = round(now - before, 1)
        text = f"{abs(diff):.1f}".replace(".", self.decimal)
        sign = "+" if diff > 0 else "-" if diff < 0 else "±"
        return self.t("reports.change", change=f"{sign}{text}")

    def value(self, value: float | int | None, *, share: bool) -> str:
        """A share or a count."""
        return self.share(value) if share else self.count(value)


def _signed(value: int, thousands: str = ".") -> str:
    if value == 0:
        return "±0"
    body = f"{abs(value):,}".replace(",", thousands)
    return f"+{body}" if value > 0 else f"-{body}"


def day_month(day: date) -> str:
    """28/11 (a day in a week the reader knows)."""
    return f"{day.day:02d}/{day.month:02d}"


def full_date(day: date) -> str:
    """28/11/2026."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"
