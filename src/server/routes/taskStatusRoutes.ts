import type { Router } from 'express';
import type { AuthService } from '../auth/authService';
import { requireRole } from '../auth/requireRole';
import type { Role } from '../auth/roles';
import { ApiError } from '../../core/errors';
import { queryBool } from '../http/query';
import type { TaskRunner } from '../tasks/taskRunner';

export interface TaskStatusRouteOptions {
  readonly path: string;
  readonly runner: TaskRunner;
  /** As in MONAI's messages: "No Train Tasks Found". */
  readonly kind: string;
  readonly auth: AuthService;
  readonly readRole: Role;
  readonly stopRole: Role;
}

/**
 * `GET {path}` (last task; `?all=true` every task; `?check_if_running=true` the running one or 404, which Slicer
 * polls on every refresh) and `DELETE {path}` (the stopped task, or `null` when nothing runs), shared by train,
 * batch infer and scoring.
 */
export function mountTaskStatusRoutes(router: Router, o: TaskStatusRouteOptions): void {
  router.get(o.path, requireRole(o.auth, o.readRole), (req, res) => {
    if (queryBool(req, 'check_if_running', false)) {
      const current = o.runner.current();
      if (!current) throw new ApiError('TASK_NOT_FOUND', `No ${o.kind} Tasks are currently Running`);
      res.json(current);
      return;
    }
    const tasks = queryBool(req, 'all', false) ? o.runner.all() : o.runner.last();
    if (tasks === null || (Array.isArray(tasks) && tasks.length === 0)) throw new ApiError('TASK_NOT_FOUND', `No ${o.kind} Tasks Found`);
    res.json(tasks);
  });
  router.delete(o.path, requireRole(o.auth, o.stopRole), (_req, res) => {
    res.json(o.runner.stop());
  });
}
