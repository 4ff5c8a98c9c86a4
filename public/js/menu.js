// The navigation on a narrow screen: one row with a menu button that opens it. Without this
// script the navigation simply wraps onto more rows.
(function () {
  const button = document.querySelector('.menu-button');
  const nav = document.getElementById('main-nav');
  if (!button || !nav) return;
  document.documentElement.classList.add('has-menu-button');
  button.hidden = false;
  button.addEventListener('click', function () {
    const open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
    nav.classList.toggle('is-open', open);
  });
})();
