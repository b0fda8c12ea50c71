// Dates and numbers for display, in the browser's locale and the viewer's time zone.

let dateTime, timeOnly, dateOnly;

/** Show times in the viewer's time zone (the one their Today / This week groups use). */
export function useTimeZone(timeZone) {
  let zone = timeZone || undefined;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
  } catch {
    zone = undefined; // a zone this browser does not know: its own
  }
  dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: zone });
  timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "short", timeZone: zone });
  dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: zone });
}
useTimeZone(undefined);

export function when(iso) {
  return iso ? dateTime.format(new Date(iso)) : "unknown time";
}

/** "Feb 23, 2026, 18:34 – 19:50" (the end's date only when it differs). */
export function timeRange(startIso, endIso) {
  const start = new Date(startIso);
  const end = new Date(endIso);
  const sameDay = dateOnly.format(start) === dateOnly.format(end);
  return `${dateTime.format(start)} – ${sameDay ? timeOnly.format(end) : dateTime.format(end)}`;
}

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

export function money(cents, currency) {
  return new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() }).format(cents / 100);
}
