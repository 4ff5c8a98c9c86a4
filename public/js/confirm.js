// Forms that undo something ask first: a form with data-confirm="…" opens a dialog with that
// question; only "Yes" sends it. Without this script the form is sent at once, as any form.
(function () {
  let dialog;
  function dialogFor() {
    if (dialog) return dialog;
    dialog = document.createElement('dialog');
    dialog.className = 'confirm-dialog';
    const text = document.createElement('p');
    const actions = document.createElement('form');
    actions.method = 'dialog';
    actions.className = 'confirm-dialog__actions';
    const no = document.createElement('button');
    no.value = 'no';
    no.className = 'btn btn--secondary';
    no.textContent = 'Cancel';
    const yes = document.createElement('button');
    yes.value = 'yes';
    yes.className = 'btn btn--danger';
    yes.textContent = 'Yes';
    actions.append(no, yes);
    dialog.append(text, actions);
    document.body.append(dialog);
    return dialog;
  }
  document.addEventListener('submit', function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm || form.dataset.confirmed) return;
    if (typeof HTMLDialogElement === 'undefined') return;
    event.preventDefault();
    const box = dialogFor();
    box.querySelector('p').textContent = form.dataset.confirm;
    box.returnValue = '';
    box.onclose = function () {
      if (box.returnValue !== 'yes') return;
      form.dataset.confirmed = 'true';
      form.requestSubmit(event.submitter || undefined);
    };
    box.showModal();
  });
})();
