// The operator login form (fleet view): an operator's name and password, or (break-glass, folded away) the admin
// token, typed into password fields and POSTed; neither ever goes into a URL. On success central sets the session cookie and sends the browser to /fleet.
import { esc, layout } from './html.js';

export function renderLoginPage(opts: { error?: string; notice?: string } = {}): string {
  return layout(
    'certkiosk central · operator login',
    `<div class="card">
<h1>Operator login</h1>
${opts.notice ? `<p class="warn" data-notice>${esc(opts.notice)}</p>` : ''}
${opts.error ? `<p class="bad" data-error>${esc(opts.error)}</p>` : ''}
<form method="post" action="/admin/login" data-login-form>
<label for="operator">Operator</label><br>
<input id="operator" name="operator" autocomplete="username" required autofocus size="32"><br>
<label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required size="32">
<button type="submit">Log in</button>
</form>
<details><summary>Log in with the admin token instead</summary>
<form method="post" action="/admin/login" data-token-form>
<label for="token">Admin token</label><br>
<input id="token" name="token" type="password" autocomplete="off" required size="48">
<button type="submit">Log in</button>
</form>
</details>
<p class="muted">The session lasts 8 hours; the fleet page has a log-out button.</p>
</div>`,
  );
}
