// Dates in the shopper's own time zone. The server writes each date as <time datetime="ISO"
// data-local-time> with a formatted UTC fallback ("Mar 4, 2026, 5:06 AM UTC"); the browser knows
// the time zone, so this rewrites the text there. Without JavaScript, the labelled UTC time stays.
(() => {
  'use strict';

  const format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  });

  for (const element of document.querySelectorAll('time[data-local-time]')) {
    const date = new Date(element.getAttribute('datetime') || '');
    if (Number.isNaN(date.getTime())) continue;
    // The UTC text stays available on hover.
    element.title = element.textContent.trim();
    element.textContent = format.format(date);
  }
})();
