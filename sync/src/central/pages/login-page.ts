// The operator login form (fleet view): the admin token is typed into a password field and POSTed; it never
// goes into a URL. On success central sets the session cookie and sends the browser to /fleet.
import { esc, layout } from './html.js';

export function renderLoginPage(opts: { error?: string; notice?: string } = {}): string {
  return layout(
    'certkiosk central · operator login',
    `<div class="card">
<h1>Operator login</h1>
${opts.notice ? `<p class="warn" data-notice>${esc(opts.notice)}</p>` : ''}
${opts.error ? `<p class="bad" data-error>${esc(opts.error)}</p>` : ''}
<form method="post" action="/admin/login" data-login-form>
<label for="token">Admin token</label><br>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus size="48">
<button type="submit">Log in</button>
</form>
<p class="muted">The session lasts 8 hours; the fleet page has a log-out button.</p>
</div>`,
  );
}
