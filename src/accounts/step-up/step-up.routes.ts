import { areaRouter, type Parent } from '../../http/area-router';
import type { FormChecks } from '../../sessions/middleware/csrf';
import { requireLogin } from '../middleware/require-login';
import type { AuthRateLimits } from '../middleware/rate-limits';
import { confirmRules } from '../account.forms';
import type { ConfirmController } from './confirm.controller';
import { CONFIRM_PATH } from './step-up';

export interface StepUpRoutesDeps {
  confirm: ConfirmController;
  limits: AuthRateLimits;
  csrf: FormChecks;
}

/** "Confirm it's you", at /account/confirm: its own router, for logged-in shoppers only. */
export function stepUpRoutes(app: Parent, { confirm, limits, csrf }: StepUpRoutesDeps): void {
  const routes = areaRouter(app, CONFIRM_PATH, { guard: requireLogin });
  routes.get('/', confirm.getConfirm);
  routes.post('/', csrf.shopperForm, ...limits.currentPassword, ...confirmRules, confirm.postConfirm);
}
