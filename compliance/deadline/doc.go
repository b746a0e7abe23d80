// Package deadline computes the legal clocks of data-subject requests: when receipt must be
// confirmed, when the answer is due, and whether (and until when) the answer may be put off by
// an extension. It is pure: dates, a holiday calendar and a time zone in, dates out. It reads
// no clock and no database (zones resolve in Go's zone database, embedded so every device has
// the same); the store records what it answers.
//
// Jurisdictions, by the shop's country (ISO 3166-1 alpha-2, For):
//
//   - GDPR: the EU and EEA member states and the United Kingdom (UK GDPR keeps the same clock).
//     Art. 12(3): one month from receipt, by the calendar rule (the same day number of the
//     next month, or that month's last day when it has none: received 31 January, due 28
//     February, or 29 in a leap year; 30 April, due 30 May). It may be extended by two further
//     months (counted from the first due date, the stricter of the two readings) only when the
//     person was told within the first month; once only.
//   - CCPA (with the CPRA's regulations, 11 CCR): the United States. The law is California's and
//     applies by the shop's state and size, which Spoke does not record; it applies CCPA's
//     clocks to every US shop as the strictest common rule. §7021: confirm receipt within 10
//     business days (never later than the answer), answer within 45 calendar days, one
//     extension of 45 more with notice given within the first 45.
//     §7026 and §7027: a request to opt out of sale or sharing, or to limit the use of sensitive
//     personal information, is answered within 15 business days, with no extension.
//   - PIPL: mainland China. Art. 50 sets no day count ("in a timely manner"), so a configurable
//     period applies (Policy.PIPLWorkingDays, 15 working days by default), with no extension;
//     the store requires a recorded reason for any refusal (Art. 50: the reasons are given).
//   - Default: every other country: Policy.DefaultDays calendar days (30), no extension.
//
// Counting. The day of receipt never counts: a period starts the next day, in the shop's time
// zone (a request e-mailed at 23:30 Berlin time is received that day in Berlin whatever the
// device's clock says). Business (working) days skip Saturdays, Sundays and the calendar's
// holidays, so a business-day deadline always falls on a business day; a request received on a
// weekend or a holiday starts counting at the next business day, exactly as if it had come on
// the business day before. Calendar-day and month periods do not move off a weekend or a
// holiday: Regulation 1182/71 would let a GDPR period that ends on one run to the next working
// day, but answering by the earlier date is always in time, so Spoke shows that one. A deadline
// is the end of its day (23:59:59.999) in the shop's zone.
//
// What it does not know: China's make-up working weekends (a holiday calendar only removes
// days), a US state's own law where it is stricter for some request type, and any sector rule.
package deadline
