// The passkey ceremonies of the shop's pages (an ES module: no inline script under the CSP).
// Each widget names its endpoints, its CSRF token and @simplewebauthn/browser's address in data-
// attributes; it is shown only when the browser can use passkeys. The server answers JSON:
// `{ location }` to go on, `{ error }` to show (with `location` where confirming is needed).
const widgets = document.querySelectorAll('[data-passkey-login], [data-passkey-confirm], [data-passkey-add]');

class RefusedError extends Error {
  constructor(answer) {
    super(answer.error);
    this.location = answer.location;
    this.field = answer.field;
  }
}

async function post(widget, path, body) {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': widget.dataset.csrf },
    body: JSON.stringify(body),
  });
  let answer;
  try {
    answer = await response.json();
  } catch {
    answer = { error: `Something went wrong (${response.status}): reload the page and try again.` };
  }
  if (!response.ok) throw new RefusedError(answer);
  return answer;
}

/** The words for a ceremony the browser or the authenticator ended (WebAuthnError's names). */
function browserMessage(error) {
  if (error.name === 'InvalidStateError') return 'This device already holds one of your passkeys.';
  if (error.name === 'NotAllowedError') return 'The passkey was not used: cancelled, or it took too long. Try again.';
  if (error.name === 'SecurityError') return "Passkeys do not work at this address: it is not the shop's own.";
  return error.message || 'The passkey did not work: try again.';
}

function show(widget, text) {
  const message = widget.querySelector('[data-passkey-message]');
  message.textContent = text;
  message.hidden = !text;
}

/** Runs a ceremony from one click or submit; whatever it throws is shown on the widget. */
async function run(widget, button, ceremony) {
  button.disabled = true;
  show(widget, '');
  try {
    window.location.assign((await ceremony()).location);
  } catch (error) {
    if (error instanceof RefusedError) {
      // Past the step-up window without a password field: the "Confirm it's you" page, then back.
      if (error.location && !widget.querySelector('input[name="currentPassword"]')) {
        window.location.assign(error.location);
        return;
      }
      show(widget, error.message);
    } else show(widget, browserMessage(error));
    button.disabled = false;
  }
}

async function setUp(widget) {
  const { browserSupportsWebAuthn, startAuthentication, startRegistration } = await import(
    widget.dataset.webauthnBrowser
  );
  if (!browserSupportsWebAuthn()) return;
  const { options, verify } = widget.dataset;
  if ('passkeyAdd' in widget.dataset) {
    const button = widget.querySelector('button[type="submit"]');
    widget.addEventListener('submit', (event) => {
      event.preventDefault();
      const name = widget.elements.name.value;
      const password = widget.elements.currentPassword;
      run(widget, button, async () => {
        const optionsJSON = await post(widget, options, { name, currentPassword: password ? password.value : '' });
        const response = await startRegistration({ optionsJSON });
        return post(widget, verify, { name, response });
      });
    });
  } else {
    const button = widget.querySelector('[data-passkey-start]');
    button.addEventListener('click', () =>
      run(widget, button, async () => {
        const optionsJSON = await post(widget, options, {});
        const response = await startAuthentication({ optionsJSON });
        return post(widget, verify, { ...response, returnTo: widget.dataset.returnTo });
      }),
    );
  }
  widget.hidden = false;
  for (const note of document.querySelectorAll('[data-passkey-unsupported]')) note.hidden = true;
}

for (const widget of widgets) setUp(widget);
