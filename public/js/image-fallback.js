// Shows the placeholder in place of a product image that fails to load. The Content-Security-Policy
// allows no inline onerror attribute, so one listener on the document catches every image's error.
(() => {
  'use strict';

  const useFallback = (image) => {
    const fallback = image.dataset.fallback;
    // Once only: should the placeholder itself fail, there is nothing better to show.
    if (!fallback || image.dataset.fallbackShown) return;
    image.dataset.fallbackShown = 'true';
    image.src = fallback;
  };

  // Error events don't bubble, but they can be caught on the way down (capture).
  document.addEventListener(
    'error',
    (event) => {
      const target = event.target;
      if (target instanceof HTMLImageElement && target.dataset.fallback) useFallback(target);
    },
    true,
  );

  // Deferred scripts run after parsing: an image may have failed before the listener existed.
  // No width alone could also be an SVG without a size; decode() tells a broken image apart.
  for (const image of document.querySelectorAll('img[data-fallback]')) {
    if (image.complete && image.naturalWidth === 0) image.decode().catch(() => useFallback(image));
  }
})();
